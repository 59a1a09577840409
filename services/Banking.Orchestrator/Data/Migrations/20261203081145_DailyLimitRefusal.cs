using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Orchestrator.Data.Migrations
{
    /// <inheritdoc />
    public partial class DailyLimitRefusal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "remaining_daily_allowance",
                table: "transfer_log",
                type: "decimal(20,2)",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "remaining_daily_allowance",
                table: "transfer_log");
        }
    }
}
