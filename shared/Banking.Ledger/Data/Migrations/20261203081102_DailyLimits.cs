using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Ledger.Data.Migrations
{
    /// <inheritdoc />
    public partial class DailyLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "remaining_allowance",
                table: "ledger_operation",
                type: "decimal(20,2)",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "daily_limit",
                columns: table => new
                {
                    scope = table.Column<string>(type: "varchar(8)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    scope_key = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    currency = table.Column<string>(type: "varchar(3)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    daily_limit = table.Column<decimal>(type: "decimal(20,2)", nullable: false),
                    updated_at = table.Column<DateTime>(type: "datetime(6)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_limit", x => new { x.scope, x.scope_key, x.currency });
                })
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.CreateTable(
                name: "daily_outgoing",
                columns: table => new
                {
                    scope = table.Column<string>(type: "varchar(8)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    scope_key = table.Column<string>(type: "varchar(50)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    currency = table.Column<string>(type: "varchar(3)", nullable: false)
                        .Annotation("MySql:CharSet", "utf8mb4"),
                    business_date = table.Column<DateOnly>(type: "date", nullable: false),
                    amount = table.Column<decimal>(type: "decimal(20,2)", nullable: false),
                    updated_at = table.Column<DateTime>(type: "datetime(6)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_daily_outgoing", x => new { x.scope, x.scope_key, x.currency, x.business_date });
                })
                .Annotation("MySql:CharSet", "utf8mb4");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "daily_limit");

            migrationBuilder.DropTable(
                name: "daily_outgoing");

            migrationBuilder.DropColumn(
                name: "remaining_allowance",
                table: "ledger_operation");
        }
    }
}
