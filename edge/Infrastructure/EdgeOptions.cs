using System.ComponentModel.DataAnnotations;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// Configuration section <c>Edge</c>; every vote limit of CONTRACT.md section 4 is here with its default.
/// Positional so the AOT configuration binder fills it through the constructor (it cannot set <c>init</c> properties);
/// durations, which cannot be constant parameter defaults, are settable properties.
/// </summary>
/// <param name="TrustedProxies">Reverse proxies whose X-Forwarded-For is believed (IP addresses).</param>
/// <param name="CorsOrigins">Browser origins allowed by CORS; a trailing <c>:*</c> allows any port. Null: local origins.</param>
/// <param name="FlagWhenRemainingAtMost">A vote leaving this many or fewer requests in a window is flagged as a burst.</param>
/// <param name="FlagVoterKeysPerIpHour">More distinct voter keys than this from one IP within an hour flags the vote.</param>
/// <param name="BallotJitterViews">Random views added to each clip's count when ordering a ballot, so equals are shuffled.</param>
/// <param name="FreshClipMinutes">Clips younger than this are boosted on ballots.</param>
/// <param name="FreshClipViewFactor">A fresh clip's views are multiplied by this when ordering (below 1 moves it forward).</param>
/// <param name="SseHeartbeatMs">How often tally streams get a keep-alive comment, so proxies do not cut idle ones.</param>
/// <param name="MaxVotesPerMessage">
/// Most votes one stream message carries: a lane's votes that arrive while its last publish is in flight go out together
/// (1: every vote alone).
/// </param>
public sealed record EdgeOptions(
    [property: Required(AllowEmptyStrings = false)] string Region = "",
    [property: IpAddressList] string[]? TrustedProxies = null,
    string[]? CorsOrigins = null,
    [property: Range(1, 1_000_000)] int VotesPerVoterPerWindow = 30,
    [property: Range(1, 10_000_000)] int VotesPerIpPerWindow = 300,
    [property: Range(1, 86_400)] int RateWindowSeconds = 60,
    [property: Range(1, 1_000_000)] int DailyWeightLimit = 200,
    [property: Range(0, 1_000_000)] int FlagWhenRemainingAtMost = 2,
    [property: Range(1, 1_000_000)] int FlagVoterKeysPerIpHour = 20,
    [property: Range(100, 60_000)] int PublishTimeoutMs = 3000,
    [property: Range(100, 600_000)] int CatalogPollMs = 2000,
    [property: Range(100, 60_000)] int ViewFlushMs = 1000,
    [property: Range(1, 720)] int IdempotencyHours = 24,
    [property: Range(1, 720)] int ReceiptHours = 48,
    [property: Range(64, 1_048_576)] int MaxRequestBodyBytes = 1024,
    [property: Range(0.0, 1_000_000.0)] double BallotJitterViews = 3,
    [property: Range(0, 1_000_000)] int FreshClipMinutes = 120,
    [property: Range(0.0, 1.0)] double FreshClipViewFactor = 0.25,
    [property: Range(100, 600_000)] int SseHeartbeatMs = 15_000,
    [property: Range(1, 1_000)] int MaxVotesPerMessage = 100)
{
    public const string Section = "Edge";

    /// <summary>
    /// The longest a request waits for Redis, connected or not: a hung Redis (stopped, forking, disk full) is then
    /// refused as fast as a dead one.
    /// </summary>
    [TimeSpanRange("00:00:00.010", "00:01:00")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    public static readonly string[] LocalOrigins = ["http://localhost:*", "http://127.0.0.1:*"];

    public IReadOnlyList<string> AllowedOrigins => CorsOrigins ?? LocalOrigins;
}

[OptionsValidator]
public sealed partial class EdgeOptionsValidator : IValidateOptions<EdgeOptions>;
