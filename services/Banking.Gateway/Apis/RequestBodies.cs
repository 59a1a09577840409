using Microsoft.AspNetCore.Http.Features;

namespace Banking.Gateway.Apis;

public static class RequestBodies
{
    /// <summary>
    /// The body, or null when it is larger than <paramref name="maxBytes"/>. Checked here rather than only by
    /// Kestrel's limit so that every host (and chunked bodies without Content-Length) gets the same 413.
    /// </summary>
    public static async Task<byte[]?> ReadLimitedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) return null;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes;

        using var buffer = new MemoryStream(capacity: (int)Math.Min(request.ContentLength ?? 1024, maxBytes));
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
