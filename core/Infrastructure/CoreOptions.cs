using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Infrastructure;

/// <summary>Configuration section <c>Slots</c>: the slot-close loop and the close barrier.</summary>
internal sealed class SlotOptions
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
internal sealed partial class SlotOptionsValidator : IValidateOptions<SlotOptions>;

/// <summary>Configuration section <c>Leaderboards</c>: the rollup of the shards' day rows into the catalog.</summary>
internal sealed class LeaderboardOptions
{
    public const string Section = "Leaderboards";

    /// <summary>
    /// How far leaderboards may trail the votes (plus one pass). Rarer passes fold a voter's votes into fewer reads and
    /// total row versions: a pass reads and writes each subject once.
    /// </summary>
    [TimeSpanRange("00:00:00.200", "00:05:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shard rows read per batch; one batch is one generation.</summary>
    [Range(10, 100_000)]
    public int RollupBatchSize { get; set; } = 5000;

    /// <summary>How long a page cursor stays valid; retired total rows older than this are deleted.</summary>
    [TimeSpanRange("00:01:00", "1.00:00:00")]
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

[OptionsValidator]
internal sealed partial class LeaderboardOptionsValidator : IValidateOptions<LeaderboardOptions>;

/// <summary>Configuration section <c>Me</c>: signed-in users' own views.</summary>
internal sealed class MeOptions
{
    public const string Section = "Me";

    /// <summary>The edges' daily weighted allowance (CONTRACT section 4), which <c>remainingToday</c> counts down from.</summary>
    [Range(1, 1_000_000)]
    public int DailyWeightLimit { get; set; } = 200;
}

[OptionsValidator]
internal sealed partial class MeOptionsValidator : IValidateOptions<MeOptions>;

/// <summary>Configuration section <c>Erasure</c>: the worker that carries account erasures out on every shard and region.</summary>
internal sealed class ErasureOptions
{
    public const string Section = "Erasure";

    /// <summary>How often the erasure worker runs the steps still pending (a shard or region that did not answer).</summary>
    [TimeSpanRange("00:00:00.100", "01:00:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

[OptionsValidator]
internal sealed partial class ErasureOptionsValidator : IValidateOptions<ErasureOptions>;
