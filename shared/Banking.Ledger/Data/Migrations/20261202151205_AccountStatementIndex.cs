using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Ledger.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccountStatementIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "idx_ledger_operation_account_id",
                table: "ledger_operation",
                columns: new[] { "account_no", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "idx_ledger_operation_account_id",
                table: "ledger_operation");
        }
    }
}
