namespace Banking.Orchestrator.Dashboard;

/// <summary>What the browser is served: the page, its script and stylesheet (embedded in the assembly), and the login form.</summary>
internal static class DashboardPages
{
    public static IResult Asset(string name, string contentType)
    {
        var stream = typeof(DashboardPages).Assembly.GetManifestResourceStream($"Banking.Orchestrator.Dashboard.wwwroot.{name}")
            ?? throw new InvalidOperationException($"dashboard asset {name} is not embedded");
        return Results.Stream(stream, contentType);
    }

    /// <summary>
    /// The hidden antiforgery field keeps a foreign site from signing a browser in with a token of its choosing
    /// (login CSRF): the operator would then act, unknowingly, as someone else.
    /// </summary>
    public static IResult LoginForm(string csrf, string? error)
    {
        var message = error is null ? "" : $"<p class=\"error\" role=\"alert\">{System.Net.WebUtility.HtmlEncode(error)}</p>";
        return Results.Content($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Sign in · Transfer operations</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/dashboard/app.css"></head>
            <body class="login"><main>
            <h1>Transfer operations</h1>
            <p>Sign in with your bank token (role operator, auditor or admin).</p>
            {{message}}
            <form method="post" action="/dashboard/login">
              <input type="hidden" name="__RequestVerificationToken" value="{{System.Net.WebUtility.HtmlEncode(csrf)}}">
              <label for="token">Token</label>
              <textarea id="token" name="token" rows="6" required autocomplete="off"></textarea>
              <button type="submit">Sign in</button>
            </form></main></body></html>
            """, "text/html; charset=utf-8");
    }
}
