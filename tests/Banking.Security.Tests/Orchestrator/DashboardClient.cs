using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>A browser's view of the dashboard over plain HTTP: its cookies, the login form's antiforgery field, no redirects followed.</summary>
public sealed partial class DashboardClient : IDisposable
{
    private readonly HttpClient http;

    public DashboardClient(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public CookieContainer Cookies { get; }
    public HttpClient Http => http;

    /// <summary>Posts the login form with <paramref name="token"/>; a signed-in session answers 302 to /dashboard.</summary>
    public async Task<HttpResponseMessage> LogInAsync(string token)
    {
        using var form = await http.GetAsync("/dashboard/login");
        var html = await form.Content.ReadAsStringAsync();
        var field = FormToken().Match(html);
        if (!field.Success) throw new InvalidOperationException("the login form has no antiforgery field: " + html);
        return await http.PostAsync("/dashboard/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(field.Groups[1].Value),
            ["token"] = token,
        }));
    }

    /// <summary>The page's CSRF token for actions, read from the session as the page does.</summary>
    public async Task<string> CsrfTokenAsync()
    {
        using var response = await http.GetAsync("/dashboard/api/session");
        response.EnsureSuccessStatusCode();
        using var session = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return session.RootElement.GetProperty("csrf_token").GetString()!;
    }

    public Task<HttpResponseMessage> ActAsync(string transferId, string action, string csrf, string reason = "security spec") =>
        PostJsonAsync($"/dashboard/api/transfers/{transferId}/{action}", $$"""{"reason":"{{reason}}"}""", csrf);

    public async Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? csrf)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (csrf is not null) request.Headers.Add("X-CSRF-TOKEN", csrf);
        return await http.SendAsync(request);
    }

    public static HttpClient Bearer(Uri baseAddress, string? token)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();
}

/// <summary>What every error answer must be: the seed's body, and nothing of the code that produced it.</summary>
public static class ErrorFormat
{
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, int status, string code, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), $"{what}: {body}");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), $"{what}: {body}");
        // A stack frame reads "at Namespace.Type.Method(" ; the developer exception page is HTML.
        Assert.That(body, Does.Not.Contain("Exception").And.Not.Match(@"\bat [\w`.<>]+\.[\w`<>]+\(").And.Not.Contain("<html").And.Not.Contain(".cs:line"), $"{what} leaks internals: {body}");
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code), what);
            Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty, what);
            Assert.That(error.GetProperty("details").ValueKind, Is.EqualTo(JsonValueKind.Object), what);
            Assert.That(DateTime.TryParse(error.GetProperty("timestamp").GetString(), out _), Is.True, what);
            Assert.That(error.TryGetProperty("trace_id", out _), Is.True, what);
        });
        return error.Clone();
    }
}
