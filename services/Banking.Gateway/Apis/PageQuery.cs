using System.Globalization;
using Banking.ServiceDefaults;

namespace Banking.Gateway.Apis;

/// <summary>
/// The <c>limit</c> and <c>cursor</c> of a keyset-paged list (the statement, the transfer list): a page size from 1 to
/// <see cref="MaxPageSize"/>, and the last row of the page before, as the previous page's <c>next_cursor</c> gave it.
/// </summary>
public readonly record struct PageQuery(int Size, long? Before)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>The page asked for, or the spec's 400 naming the parameter that is wrong.</summary>
    public static bool TryRead(string? limit, string? cursor, out PageQuery page, out ApiError? error)
    {
        page = default;
        error = null;
        var size = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            error = ApiError.Validation("limit", $"must be a whole number from 1 to {MaxPageSize}");
            return false;
        }

        long? before = null;
        if (cursor is not null)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < 1)
            {
                error = ApiError.Validation("cursor", "must be the next_cursor of a previous page");
                return false;
            }

            before = last;
        }

        page = new PageQuery(size, before);
        return true;
    }

    /// <summary>The <c>next_cursor</c> of a page: null on the last one.</summary>
    public static string? Cursor(long? nextBefore) => nextBefore?.ToString(CultureInfo.InvariantCulture);
}
