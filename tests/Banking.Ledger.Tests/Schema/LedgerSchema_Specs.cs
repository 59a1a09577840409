using Banking.Ledger.Tests.Support;

namespace Banking.Ledger.Tests.Schema;

/// <summary>
/// The seed's three ledger tables must come out of our EF migrations exactly as the seed's own DDL creates them:
/// other systems of the bank read these tables by column name, type and index.
/// </summary>
[TestFixture]
public sealed class LedgerSchema_Specs
{
    // Verbatim from the seed (shared/spec/seed-design.md, sections 2.1.1 to 2.1.3).
    private const string SeedDdl = """
        CREATE TABLE rb_acct (
            INTERNAL_KEY BIGINT PRIMARY KEY,
            CLIENT_NO VARCHAR(20) NOT NULL,
            BASE_ACCT_NO VARCHAR(50) NOT NULL,
            ACCT_NAME VARCHAR(200),
            ACCT_CCY VARCHAR(3) DEFAULT 'CNY',
            ACCT_STATUS CHAR(1) DEFAULT 'A',
            ACCT_BRANCH VARCHAR(20),
            ACCT_OPEN_DATE DATETIME,
            TRAN_TIMESTAMP TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            INDEX idx_base_acct_no (BASE_ACCT_NO),
            INDEX idx_client_no (CLIENT_NO)
        );

        CREATE TABLE rb_acct_balance (
            INTERNAL_KEY BIGINT PRIMARY KEY,
            CLIENT_NO VARCHAR(20) NOT NULL,
            TOTAL_AMOUNT DECIMAL(20,2) DEFAULT 0.00,
            LAST_CHANGE_DATE DATETIME,
            TRAN_TIMESTAMP TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            FOREIGN KEY (INTERNAL_KEY) REFERENCES rb_acct(INTERNAL_KEY)
        );

        CREATE TABLE rb_tran_hist (
            SEQ_NO VARCHAR(50) PRIMARY KEY,
            INTERNAL_KEY BIGINT,
            CLIENT_NO VARCHAR(20),
            BASE_ACCT_NO VARCHAR(50),
            TRAN_TYPE VARCHAR(10),
            TRAN_AMT DECIMAL(20,2),
            PREVIOUS_BAL_AMT DECIMAL(20,2),
            ACTUAL_BAL DECIMAL(20,2),
            CR_DR_IND CHAR(1),
            TRAN_DATE DATETIME,
            REFERENCE VARCHAR(50),
            NARRATIVE VARCHAR(500),
            TRAN_STATUS CHAR(1) DEFAULT 'N',
            TRAN_TIMESTAMP TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            INDEX idx_internal_key (INTERNAL_KEY),
            INDEX idx_reference (REFERENCE),
            INDEX idx_tran_date (TRAN_DATE)
        );
        """;

    private const string SeedTables = "('rb_acct', 'rb_acct_balance', 'rb_tran_hist')";

    private ScratchLedger fromSeed = null!;
    private ScratchLedger fromMigrations = null!;

    [OneTimeSetUp]
    public async Task CreateBothSchemas()
    {
        fromSeed = await ScratchLedger.CreateAsync("schema_seed", migrate: false);
        await fromSeed.ExecuteAsync(SeedDdl);
        fromMigrations = await ScratchLedger.CreateAsync("schema_ef");
    }

    [Test]
    public async Task The_migrations_create_the_seed_columns_with_the_same_types_nullability_defaults_and_order()
    {
        const string sql = $"""
            SELECT CONCAT_WS(' | ', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
                             COALESCE(COLUMN_DEFAULT, '<no default>'), EXTRA)
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {SeedTables}
            ORDER BY TABLE_NAME, ORDINAL_POSITION
            """;

        var seed = await Lines(fromSeed, sql);
        var migrated = await Lines(fromMigrations, sql);
        TestContext.Progress.WriteLine("seed columns:\n  " + string.Join("\n  ", seed));

        Assert.That(seed, Has.Count.EqualTo(9 + 5 + 14), "the seed DDL did not run as expected");
        Assert.That(migrated, Is.EqualTo(seed));
    }

    [Test]
    public async Task The_migrations_create_the_seed_indexes_with_the_same_names_columns_and_uniqueness()
    {
        const string sql = $"""
            SELECT CONCAT_WS(' | ', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE)
            FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {SeedTables}
            ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
            """;

        var seed = await Lines(fromSeed, sql);
        var migrated = await Lines(fromMigrations, sql);
        TestContext.Progress.WriteLine("seed indexes:\n  " + string.Join("\n  ", seed));

        Assert.That(seed, Has.Count.EqualTo(3 + 1 + 4));
        Assert.That(migrated, Is.EqualTo(seed));
    }

    [Test]
    public async Task The_migrations_create_the_seed_foreign_key_under_the_name_MySQL_gives_it()
    {
        const string sql = $"""
            SELECT CONCAT_WS(' | ', k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE)
            FROM information_schema.KEY_COLUMN_USAGE k
            JOIN information_schema.REFERENTIAL_CONSTRAINTS r
              ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
            WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME IN {SeedTables}
            ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME
            """;

        var seed = await Lines(fromSeed, sql);
        var migrated = await Lines(fromMigrations, sql);

        Assert.That(seed, Has.Count.EqualTo(1));
        Assert.That(migrated, Is.EqualTo(seed));
    }

    private static async Task<List<string>> Lines(ScratchLedger ledger, string sql) =>
        [.. (await ledger.QueryAsync(sql)).Select(r => (string)r[0]!)];
}
