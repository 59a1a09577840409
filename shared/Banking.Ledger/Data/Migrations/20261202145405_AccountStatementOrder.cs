using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Banking.Ledger.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccountStatementOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // One statement: MariaDB accepts an AUTO_INCREMENT column only together with a key on it. Rows booked before
            // are numbered in SEQ_NO order (the clustered key), which is their booking order to the millisecond.
            migrationBuilder.Sql("""
                ALTER TABLE rb_tran_hist
                    ADD COLUMN ENTRY_NO bigint NOT NULL AUTO_INCREMENT,
                    ADD UNIQUE INDEX ux_rb_tran_hist_entry_no (ENTRY_NO),
                    ADD INDEX idx_rb_tran_hist_account_entry (INTERNAL_KEY, ENTRY_NO)
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "idx_rb_tran_hist_account_entry",
                table: "rb_tran_hist");

            migrationBuilder.DropIndex(
                name: "ux_rb_tran_hist_entry_no",
                table: "rb_tran_hist");

            migrationBuilder.DropColumn(
                name: "ENTRY_NO",
                table: "rb_tran_hist");
        }
    }
}
