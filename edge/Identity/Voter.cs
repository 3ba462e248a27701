using System.Security.Claims;

namespace AiMoviez.Edge.Identity;

/// <summary>Who is voting: the contract's voter key, the user id when signed in, the client IP and whether it looks headless.</summary>
internal sealed record Voter(string Key, string? UserId, string ClientIp, bool LooksHeadless)
{
    /// <summary>
    /// The caller, or null when an Authorization header was sent but is not a valid token (401, never a silent
    /// fallback to the device key). Forwarded headers are already applied, so the remote address is the client.
    /// </summary>
    public static Voter? From(HttpContext context)
    {
        var clientIp = context.Connection.RemoteIpAddress?.ToString() ?? "";
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true && user.FindFirstValue("sub") is { Length: > 0 } subject)
        {
            return new Voter("user_" + subject, subject, clientIp, IsHeadless(context.Request.Headers));
        }

        return context.Request.Headers.Authorization.Count > 0 ? null : Device(context);
    }

    /// <summary>
    /// The caller as an anonymous device, whatever its Authorization header: whom a vote refused for a bad token is
    /// counted against in the rate windows.
    /// </summary>
    public static Voter Device(HttpContext context) =>
        new(VoterFingerprint.Compute(context), null, context.Connection.RemoteIpAddress?.ToString() ?? "", IsHeadless(context.Request.Headers));

    /// <summary>Browsers always send a language and either client hints or fetch metadata; scripts rarely do.</summary>
    public static bool IsHeadless(IHeaderDictionary headers)
    {
        var userAgent = headers.UserAgent.ToString();
        return userAgent.Length == 0
            || userAgent.Contains("Headless", StringComparison.OrdinalIgnoreCase)
            || headers.AcceptLanguage.Count == 0
            || (!headers.ContainsKey("Sec-CH-UA") && !headers.ContainsKey("Sec-Fetch-Mode"));
    }
}
