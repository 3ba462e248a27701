using System.Globalization;

namespace AiMoviez.Perf.Load;

/// <summary>
/// One simulated anonymous voter. Its identity is the edge's device fingerprint, so it is made of what the edge hashes:
/// a distinct client IP (sent as X-Forwarded-For, honoured because we connect from the trusted 127.0.0.2) and a distinct
/// User-Agent. The run tag in the User-Agent gives every run fresh voters, so one-vote-per-clip and the daily cap of
/// earlier runs in the same slot do not turn this run's votes into ALREADY_VOTED.
/// </summary>
public readonly record struct Voter(int Index, string RunTag)
{
    /// <summary>10.0.0.0/8 has room for 2^24 voters, each its own client IP for the per-IP limit.</summary>
    public const int MaxVoters = 1 << 24;

    /// <summary>
    /// Voters needed so no (voter, clip) pair repeats: the hot clip alone takes hotShare of the votes, each from a
    /// different voter, plus a quarter for headroom.
    /// </summary>
    public static int EnoughFor(long votes, double hotShare) => (int)Math.Clamp(votes * hotShare * 1.25, 1_000, MaxVoters);

    public string ForwardedFor => string.Create(CultureInfo.InvariantCulture, $"10.{(Index >> 16) & 255}.{(Index >> 8) & 255}.{Index & 255}");

    public string UserAgent => string.Create(CultureInfo.InvariantCulture,
        $"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 AiMoviezPerf/{RunTag}/{Index}");

    /// <summary>A voter always uses the edge of its home region, as a real user would.</summary>
    public int HomeEdge(int edgeCount) => Index % edgeCount;

    /// <summary>
    /// What each of the voter's requests carries, names in lowercase as HTTP/2 writes them: its identity, and browser-like
    /// headers so the edge does not flag every vote as a headless client.
    /// </summary>
    public (string Name, string Value)[] Headers =>
    [
        ("x-forwarded-for", ForwardedFor),
        ("user-agent", UserAgent),
        ("accept-language", "en-US,en;q=0.9"),
        ("sec-ch-ua", "\"Chromium\";v=\"131\""),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("sec-ch-ua-mobile", "?0"),
    ];

    public void ApplyTo(HttpRequestMessage request)
    {
        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
