using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Infrastructure;

/// <summary>Configuration section <c>Slots</c>: the slot-close loop and the close barrier.</summary>
public sealed class SlotOptions
{
    public const string Section = "Slots";

    /// <summary>CONTRACT section 6: voting slots are checked at least every 5 s.</summary>
    [TimeSpanRange("00:00:00.100", "00:00:05")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Covers the edge publish timeout: a vote accepted just before votingEndsAt may still be on its way to the stream.</summary>
    [TimeSpanRange("00:00:00", "00:01:00")]
    public TimeSpan BarrierGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an admin advance waits in the request for the barrier before leaving the close to the loop.</summary>
    [TimeSpanRange("00:00:00", "00:02:00")]
    public TimeSpan AdvanceWait { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
public sealed partial class SlotOptionsValidator : IValidateOptions<SlotOptions>;

/// <summary>Configuration section <c>Leaderboards</c>: the rollup of the shards' day rows into the catalog.</summary>
public sealed class LeaderboardOptions
{
    public const string Section = "Leaderboards";

    [TimeSpanRange("00:00:00.200", "00:05:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Shard rows read per batch; one batch is one generation.</summary>
    [Range(10, 100_000)]
    public int RollupBatchSize { get; set; } = 5000;

    /// <summary>How long a page cursor stays valid; retired total rows older than this are deleted.</summary>
    [TimeSpanRange("00:01:00", "1.00:00:00")]
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

[OptionsValidator]
public sealed partial class LeaderboardOptionsValidator : IValidateOptions<LeaderboardOptions>;
