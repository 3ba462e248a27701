using System.Globalization;

namespace AiMoviez.Edge.Votes;

/// <summary>The X-RateLimit-* values of the voter's sliding window (Reset in seconds from now), and Retry-After for 429.</summary>
internal sealed record RateLimitHeaders(int Limit, int Remaining, long ResetSeconds, long? RetryAfterSeconds = null)
{
    /// <summary>
    /// The voter's window after a request the vote scripts counted; a 429 (from either window) says no request is left
    /// until <paramref name="retryMs"/>.
    /// </summary>
    public static RateLimitHeaders ForVoter(int limit, string code, int voterCount, long resetMs, long retryMs) =>
        code == Contracts.ErrorCodes.RateLimited
            ? FromWindow(limit, limit, retryMs, retryMs)
            : FromWindow(limit, voterCount, resetMs, retryMs);

    /// <summary>Headers when the window is unknown (Redis did not answer): the full limit, nothing promised.</summary>
    public static RateLimitHeaders Unknown(int limit, TimeSpan window) => new(limit, 0, (long)window.TotalSeconds);

    public static RateLimitHeaders FromWindow(int limit, int used, long resetMs, long? retryMs = null) =>
        new(limit, Math.Max(0, limit - used), CeilSeconds(resetMs), retryMs is > 0 ? Math.Max(1, CeilSeconds(retryMs.Value)) : null);

    public void WriteTo(HttpResponse response)
    {
        response.Headers["X-RateLimit-Limit"] = Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Reset"] = ResetSeconds.ToString(CultureInfo.InvariantCulture);
        if (RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static long CeilSeconds(long ms) => (ms + 999) / 1000;
}
