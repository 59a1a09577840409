using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Orchestrator.Data.Migrations
{
    /// <inheritdoc />
    public partial class TransferListIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "idx_transfer_log_requested_by_id",
                table: "transfer_log",
                columns: new[] { "requested_by", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "idx_transfer_log_requested_by_id",
                table: "transfer_log");
        }
    }
}
