using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Configuration section <c>Edge</c>; every vote limit of CONTRACT.md section 4 is here with its default.</summary>
internal sealed class EdgeOptions : IValidatableObject
{
    public const string Section = "Edge";

    /// <summary>The region of the topology this edge serves.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Region { get; set; } = "";

    [Range(1, 1_000_000)]
    public int VotesPerVoterPerWindow { get; set; } = 30;

    [Range(1, 10_000_000)]
    public int VotesPerIpPerWindow { get; set; } = 300;

    /// <summary>The sliding window both vote rate limits count in.</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 1_000_000)]
    public int DailyWeightLimit { get; set; } = 200;

    /// <summary>A vote leaving this many or fewer requests in a window is flagged as a burst.</summary>
    [Range(0, 1_000_000)]
    public int FlagWhenRemainingAtMost { get; set; } = 2;

    /// <summary>More distinct voter keys than this from one IP within an hour flags the vote.</summary>
    [Range(1, 1_000_000)]
    public int FlagVoterKeysPerIpHour { get; set; } = 20;

    /// <summary>The longest a vote waits for JetStream to store it before the edge refuses it (and undoes it in Redis).</summary>
    [TimeSpanRange("00:00:00.100", "00:01:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long past its publish timeout a vote may stay undecided (its receipt still accepted) before a vote request
    /// that finds it on its clip (409 ALREADY_VOTED) publishes it again: a vote whose edge died between the vote script
    /// and the publish would otherwise never reach the tallies. A copy already stored is dropped by its vote id.
    /// </summary>
    [TimeSpanRange("00:00:00", "1.00:00:00")]
    public TimeSpan RepublishUndecidedAfter { get; set; } = TimeSpan.FromMinutes(1);

    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan CatalogPoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest a vote on a clip the catalog does not list waits for core to say whether the clip exists.</summary>
    [TimeSpanRange("00:00:00.100", "00:00:10")]
    public TimeSpan ClipLookupTimeout { get; set; } = TimeSpan.FromSeconds(1);

    [TimeSpanRange("00:00:00.100", "00:01:00")]
    public TimeSpan ViewFlush { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a retry with the same Idempotency-Key gets the first answer again.</summary>
    [TimeSpanRange("01:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a receipt can be read.</summary>
    [TimeSpanRange("01:00:00", "30.00:00:00")]
    public TimeSpan ReceiptLifetime { get; set; } = TimeSpan.FromHours(48);

    [Range(64, 1_048_576)]
    public int MaxRequestBodyBytes { get; set; } = 1024;

    /// <summary>Random views added to each clip's count when ordering a ballot, so equals are shuffled.</summary>
    [Range(0.0, 1_000_000.0)]
    public double BallotJitterViews { get; set; } = 3;

    /// <summary>Clips younger than this are boosted on ballots.</summary>
    [TimeSpanRange("00:00:00", "30.00:00:00")]
    public TimeSpan FreshClipAge { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A fresh clip's views are multiplied by this when ordering (below 1 moves it forward).</summary>
    [Range(0.0, 1.0)]
    public double FreshClipViewFactor { get; set; } = 0.25;

    /// <summary>How often tally streams get a keep-alive comment, so proxies do not cut idle ones.</summary>
    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan SseHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Most votes one stream message carries: a lane's votes that arrive while its last publish is in flight go out together
    /// (1: every vote alone).
    /// </summary>
    [Range(1, 1_000)]
    public int MaxVotesPerMessage { get; set; } = 100;

    /// <summary>
    /// How long a vote that finds its lane idle waits for others to go out with it, when the lane's last message carried
    /// several votes (the lane is busy); a lane that carried one vote at a time sends at once (0: always at once). A
    /// longer wait puts more votes in a message at moderate rates, and nats-server's and the aggregator's cost is mostly
    /// per message; the waiting vote's answer comes that much later (perf/RESULTS.md).
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:00.100")]
    public TimeSpan PublishLinger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The longest a request waits for Redis, connected or not: a hung Redis (stopped, forking, disk full) is then
    /// refused as fast as a dead one.
    /// </summary>
    [TimeSpanRange("00:00:00.010", "00:01:00")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A replay answers from the vote's receipt: a key outliving it would replay nothing.
        if (IdempotencyWindow > ReceiptLifetime)
        {
            yield return new ValidationResult(
                $"IdempotencyWindow ({IdempotencyWindow}) must not be longer than ReceiptLifetime ({ReceiptLifetime}): a retry's answer is read from the receipt.",
                [nameof(IdempotencyWindow)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class EdgeOptionsValidator : IValidateOptions<EdgeOptions>;
