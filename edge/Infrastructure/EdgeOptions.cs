using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Configuration section <c>Edge</c>; every vote limit of CONTRACT.md section 4 is here with its default.</summary>
public sealed record EdgeOptions
{
    public const string Section = "Edge";

    [Required(AllowEmptyStrings = false)]
    public string Region { get; init; } = "";

    /// <summary>Reverse proxies whose X-Forwarded-For is believed (IP addresses).</summary>
    public string[] TrustedProxies { get; init; } = [];

    /// <summary>Browser origins allowed by CORS; a trailing <c>:*</c> allows any port.</summary>
    public string[] CorsOrigins { get; init; } = ["http://localhost:*", "http://127.0.0.1:*"];

    [Range(1, 1_000_000)]
    public int VotesPerVoterPerWindow { get; init; } = 30;

    [Range(1, 10_000_000)]
    public int VotesPerIpPerWindow { get; init; } = 300;

    [Range(1, 86_400)]
    public int RateWindowSeconds { get; init; } = 60;

    [Range(1, 1_000_000)]
    public int DailyWeightLimit { get; init; } = 200;

    /// <summary>A vote leaving this many or fewer requests in the voter's window is flagged as a burst.</summary>
    [Range(0, 1_000_000)]
    public int FlagWhenRemainingAtMost { get; init; } = 2;

    /// <summary>More distinct voter keys than this from one IP within an hour flags the vote.</summary>
    [Range(1, 1_000_000)]
    public int FlagVoterKeysPerIpHour { get; init; } = 20;

    [Range(10, 60_000)]
    public int RedisTimeoutMs { get; init; } = 500;

    [Range(100, 60_000)]
    public int PublishTimeoutMs { get; init; } = 3000;

    [Range(100, 600_000)]
    public int CatalogPollMs { get; init; } = 2000;

    [Range(100, 60_000)]
    public int ViewFlushMs { get; init; } = 1000;

    [Range(1, 720)]
    public int IdempotencyHours { get; init; } = 24;

    [Range(1, 720)]
    public int ReceiptHours { get; init; } = 48;

    [Range(64, 1_048_576)]
    public int MaxRequestBodyBytes { get; init; } = 1024;

    /// <summary>Random views added to each clip's count when ordering a ballot, so equals are shuffled.</summary>
    [Range(0.0, 1_000_000.0)]
    public double BallotJitterViews { get; init; } = 3;

    /// <summary>Clips younger than this are boosted on ballots.</summary>
    [Range(0, 1_000_000)]
    public int FreshClipMinutes { get; init; } = 120;

    /// <summary>A fresh clip's views are multiplied by this when ordering (below 1 moves it forward).</summary>
    [Range(0.0, 1.0)]
    public double FreshClipViewFactor { get; init; } = 0.25;
}

[OptionsValidator]
public sealed partial class EdgeOptionsValidator : IValidateOptions<EdgeOptions>;
