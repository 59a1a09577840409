using System.Net;
using System.Text;
using System.Text.Json;

namespace Banking.Gateway.Tests.Support;

public static class Http
{
    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostTransfer(this HttpClient client, object body) =>
        client.PostJson("/api/v1/transfer", JsonSerializer.Serialize(body));

    public static async Task<JsonElement> Json(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"{(int)response.StatusCode}: not JSON: {text}");
            throw;
        }
    }

    /// <summary>Asserts the seed's error body and returns its <c>error</c> object.</summary>
    public static async Task<JsonElement> Error(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(status), body.ToString());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "error" }));
        var error = body.GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(error.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "code", "message", "details", "timestamp", "trace_id" }));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code));
            Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
            Assert.That(error.GetProperty("details").ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(error.GetProperty("timestamp").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
            Assert.That(error.GetProperty("trace_id").GetString(), Does.Match("^[0-9a-f]{32}$"), "the W3C trace id");
        });
        return error;
    }

    /// <summary>The exact text of a JSON number, to check it has two decimals.</summary>
    public static string Raw(this JsonElement element, string property) => element.GetProperty(property).GetRawText();
}
