using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Orchestrator.Data.Migrations
{
    /// <inheritdoc />
    public partial class FourEyesOperatorActions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "abort_approved_by",
                table: "transfer_log",
                type: "varchar(100)",
                nullable: true)
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.AddColumn<string>(
                name: "pending_action",
                table: "transfer_log",
                type: "varchar(10)",
                nullable: true)
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.AddColumn<DateTime>(
                name: "pending_action_at",
                table: "transfer_log",
                type: "datetime(6)",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "pending_action_by",
                table: "transfer_log",
                type: "varchar(100)",
                nullable: true)
                .Annotation("MySql:CharSet", "utf8mb4");

            migrationBuilder.AddColumn<string>(
                name: "pending_action_reason",
                table: "transfer_log",
                type: "varchar(500)",
                nullable: true)
                .Annotation("MySql:CharSet", "utf8mb4");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "abort_approved_by",
                table: "transfer_log");

            migrationBuilder.DropColumn(
                name: "pending_action",
                table: "transfer_log");

            migrationBuilder.DropColumn(
                name: "pending_action_at",
                table: "transfer_log");

            migrationBuilder.DropColumn(
                name: "pending_action_by",
                table: "transfer_log");

            migrationBuilder.DropColumn(
                name: "pending_action_reason",
                table: "transfer_log");
        }
    }
}
