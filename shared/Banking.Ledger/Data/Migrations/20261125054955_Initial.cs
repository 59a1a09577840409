using System;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Ledger.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "inbox_state",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    message_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    consumer_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    lock_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    received = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    receive_count = table.Column<int>(type: "int", nullable: false),
                    consumed = table.Column<DateTime>(type: "datetime(6)", nullable: true),
                    delivered = table.Column<DateTime>(type: "datetime(6)", nullable: true),
                    last_sequence_number = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbox_state", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "ledger_operation",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    transfer_id = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    operation = table.Column<string>(type: "varchar(16)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    account_no = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    amount = table.Column<decimal>(type: "decimal(20,2)", nullable: false),
                    currency = table.Column<string>(type: "varchar(3)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    outcome = table.Column<string>(type: "varchar(16)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    reason_code = table.Column<string>(type: "varchar(40)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    reason = table.Column<string>(type: "varchar(500)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    available_balance = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    balance_before = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    balance_after = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    seq_no = table.Column<string>(type: "varchar(50)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    created_at = table.Column<DateTime>(type: "datetime(6)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ledger_operation", x => x.id);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "outbox_message",
                columns: table => new
                {
                    sequence_number = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                    message_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    inbox_message_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    inbox_consumer_id = table.Column<Guid>(type: "char(36)", nullable: false, collation: "ascii_general_ci"),
                    content_type = table.Column<string>(type: "varchar(256)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    message_type = table.Column<string>(type: "text", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    body = table.Column<string>(type: "longtext", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    headers = table.Column<string>(type: "text", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    properties = table.Column<string>(type: "text", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    conversation_id = table.Column<Guid>(type: "char(36)", nullable: true, collation: "ascii_general_ci"),
                    correlation_id = table.Column<Guid>(type: "char(36)", nullable: true, collation: "ascii_general_ci"),
                    initiator_id = table.Column<Guid>(type: "char(36)", nullable: true, collation: "ascii_general_ci"),
                    request_id = table.Column<Guid>(type: "char(36)", nullable: true, collation: "ascii_general_ci"),
                    source_address = table.Column<string>(type: "varchar(256)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    destination_address = table.Column<string>(type: "varchar(256)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    response_address = table.Column<string>(type: "varchar(256)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    fault_address = table.Column<string>(type: "varchar(256)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    sent_time = table.Column<DateTime>(type: "datetime(6)", nullable: false),
                    expiration_time = table.Column<DateTime>(type: "datetime(6)", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbox_message", x => x.sequence_number);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "rb_acct",
                columns: table => new
                {
                    INTERNAL_KEY = table.Column<long>(type: "bigint", nullable: false),
                    CLIENT_NO = table.Column<string>(type: "varchar(20)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    BASE_ACCT_NO = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    ACCT_NAME = table.Column<string>(type: "varchar(200)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    ACCT_CCY = table.Column<string>(type: "varchar(3)", nullable: true, defaultValueSql: "'CNY'")
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    ACCT_STATUS = table.Column<string>(type: "char(1)", nullable: true, defaultValueSql: "'A'")
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    ACCT_BRANCH = table.Column<string>(type: "varchar(20)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    ACCT_OPEN_DATE = table.Column<DateTime>(type: "datetime", nullable: true),
                    TRAN_TIMESTAMP = table.Column<DateTime>(type: "timestamp", nullable: true, defaultValueSql: "CURRENT_TIMESTAMP")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rb_acct", x => x.INTERNAL_KEY);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "rb_tran_hist",
                columns: table => new
                {
                    SEQ_NO = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    INTERNAL_KEY = table.Column<long>(type: "bigint", nullable: true),
                    CLIENT_NO = table.Column<string>(type: "varchar(20)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    BASE_ACCT_NO = table.Column<string>(type: "varchar(50)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TRAN_TYPE = table.Column<string>(type: "varchar(10)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TRAN_AMT = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    PREVIOUS_BAL_AMT = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    ACTUAL_BAL = table.Column<decimal>(type: "decimal(20,2)", nullable: true),
                    CR_DR_IND = table.Column<string>(type: "char(1)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TRAN_DATE = table.Column<DateTime>(type: "datetime", nullable: true),
                    REFERENCE = table.Column<string>(type: "varchar(50)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    NARRATIVE = table.Column<string>(type: "varchar(500)", nullable: true)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TRAN_STATUS = table.Column<string>(type: "char(1)", nullable: true, defaultValueSql: "'N'")
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TRAN_TIMESTAMP = table.Column<DateTime>(type: "timestamp", nullable: true, defaultValueSql: "CURRENT_TIMESTAMP")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rb_tran_hist", x => x.SEQ_NO);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "rb_acct_balance",
                columns: table => new
                {
                    INTERNAL_KEY = table.Column<long>(type: "bigint", nullable: false),
                    CLIENT_NO = table.Column<string>(type: "varchar(20)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    TOTAL_AMOUNT = table.Column<decimal>(type: "decimal(20,2)", nullable: true, defaultValueSql: "'0.00'"),
                    LAST_CHANGE_DATE = table.Column<DateTime>(type: "datetime", nullable: true),
                    TRAN_TIMESTAMP = table.Column<DateTime>(type: "timestamp", nullable: true, defaultValueSql: "CURRENT_TIMESTAMP")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rb_acct_balance", x => x.INTERNAL_KEY);
                    table.ForeignKey(
                        name: "rb_acct_balance_ibfk_1",
                        column: x => x.INTERNAL_KEY,
                        principalTable: "rb_acct",
                        principalColumn: "INTERNAL_KEY",
                        onDelete: ReferentialAction.Restrict);
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateIndex(
                name: "idx_inbox_state_delivered",
                table: "inbox_state",
                column: "delivered");

            migrationBuilder.CreateIndex(
                name: "ux_inbox_state_message_consumer",
                table: "inbox_state",
                columns: new[] { "message_id", "consumer_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "idx_ledger_operation_created_at",
                table: "ledger_operation",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ux_ledger_operation_transfer_operation",
                table: "ledger_operation",
                columns: new[] { "transfer_id", "operation" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "idx_outbox_message_inbox",
                table: "outbox_message",
                columns: new[] { "inbox_message_id", "inbox_consumer_id", "sequence_number" });

            migrationBuilder.CreateIndex(
                name: "idx_outbox_message_sent_time",
                table: "outbox_message",
                column: "sent_time");

            migrationBuilder.CreateIndex(
                name: "idx_base_acct_no",
                table: "rb_acct",
                column: "BASE_ACCT_NO");

            migrationBuilder.CreateIndex(
                name: "idx_client_no",
                table: "rb_acct",
                column: "CLIENT_NO");

            migrationBuilder.CreateIndex(
                name: "idx_internal_key",
                table: "rb_tran_hist",
                column: "INTERNAL_KEY");

            migrationBuilder.CreateIndex(
                name: "idx_reference",
                table: "rb_tran_hist",
                column: "REFERENCE");

            migrationBuilder.CreateIndex(
                name: "idx_tran_date",
                table: "rb_tran_hist",
                column: "TRAN_DATE");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "inbox_state");

            migrationBuilder.DropTable(
                name: "ledger_operation");

            migrationBuilder.DropTable(
                name: "outbox_message");

            migrationBuilder.DropTable(
                name: "rb_acct_balance");

            migrationBuilder.DropTable(
                name: "rb_tran_hist");

            migrationBuilder.DropTable(
                name: "rb_acct");
        }
    }
}
