using System.ComponentModel.DataAnnotations;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Aggregator;

/// <summary>
/// Aggregator tuning, bound from configuration section <see cref="Section"/> and validated at start. Settable, not
/// <c>init</c>: the source-generated configuration binder of a Native AOT build silently skips <c>init</c> properties.
/// </summary>
internal sealed record AggregatorOptions : IValidatableObject
{
    public const string Section = "Aggregator";

    /// <summary>
    /// A shard batch is cut when it holds this many messages... Large, because a batch's cost is mostly per batch
    /// (round trips, statements, commit) and per touched tally or day row (one upsert per clip however many votes), which
    /// a loaded host feels most (perf/RESULTS.md).
    /// </summary>
    [Range(1, 50_000)]
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>
    /// ...or when its first message has waited this long. At moderate rates it is what cuts a batch, so it sets how many
    /// batches, each with its fixed cost, a second of votes takes: a longer wait costs the shards and the aggregator less
    /// per vote, and tallies and receipts come a little later (perf/RESULTS.md).
    /// </summary>
    [TimeSpanRange("00:00:00.001", "00:00:10")]
    public TimeSpan MaxBatchAge { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Messages each lane's pull asks for at once. While a lane is behind, the NATS client renews its pull at every missed
    /// idle heartbeat whatever it still holds unread, and drops what its buffer cannot take: a hole that stops the lane.
    /// Pulls of at least half of <see cref="MaxAckPending"/> took a long backlog without one; pulls of 1,000 did not
    /// (perf/RESULTS.md, "Two aggregator defects").
    /// </summary>
    [Range(1, 500_000)]
    public int PullBatchSize { get; set; } = 10_000;

    [TimeSpanRange("00:00:05", "01:00:00")]
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Bounds the messages held in memory per lane (one region's messages for one shard), including those of a shard
    /// that is down, which waits on this alone: the other lanes keep flowing. Two batches' worth keeps the writer fed
    /// (one batch applying, the next one waiting); more only makes messages wait longer, costs nats-server more per vote
    /// and leaves the aggregator more live objects to collect (perf/RESULTS.md).
    /// </summary>
    [Range(100, 1_000_000)]
    public int MaxAckPending { get; set; } = 20_000;

    /// <summary>
    /// The longest a shard writer's statement waits for a lock. A batch holds the rows it copied while it waits for the
    /// batch before it to commit, so two aggregator processes writing the same votes to one shard could wait on each
    /// other through this process, where PostgreSQL cannot see the cycle: the wait ends with the batch failed and retried.
    /// </summary>
    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan WriterLockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between retries of a shard that is down.</summary>
    [TimeSpanRange("00:00:00.050", "00:01:00")]
    public TimeSpan ShardRetryMax { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Weighted votes a voter may have counted per UTC day, over all seasons.</summary>
    [Range(1, 1_000_000)]
    public int DailyWeightLimit { get; set; } = 200;

    /// <summary>
    /// How long a shard keeps the keys of the day rows each batch changed (day_changes), which core's leaderboard rollup
    /// follows; a core that has not read them for longer reads the day tables whole once.
    /// </summary>
    [TimeSpanRange("00:00:01", "365.00:00:00")]
    public TimeSpan DayChangesRetention { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Every known season slot's tally is republished this often, so edges converge after any loss.</summary>
    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the votes a slot reset removed are offered again to the regions that have not stored them yet (a
    /// region whose NATS was down); a reset sends them at once.
    /// </summary>
    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan ResetUndoRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A message dropped by the client would be a hole in the lane that stops it until it is restarted.
        if (2L * PullBatchSize < MaxAckPending)
        {
            yield return new ValidationResult(
                $"PullBatchSize ({PullBatchSize}) must be at least half of MaxAckPending ({MaxAckPending}): with smaller pulls the NATS client drops messages of a lane that falls behind.",
                [nameof(PullBatchSize)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class AggregatorOptionsValidator : IValidateOptions<AggregatorOptions>;
