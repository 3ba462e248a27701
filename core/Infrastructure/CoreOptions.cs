using System.ComponentModel.DataAnnotations;
using AiMoviez.ServiceDefaults;

namespace AiMoviez.Core.Infrastructure;

/// <summary>JWT settings shared with the edges and `./aimoviez token`.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HS256 needs at least 256 bits of key.</summary>
    [Required, MinLength(32)]
    public string SigningKey { get; set; } = "";

    [Required]
    public string Issuer { get; set; } = "aimoviez-local";

    [Required]
    public string Audience { get; set; } = "aimoviez";
}

/// <summary>The slot-close loop and the close barrier.</summary>
public sealed class SlotOptions
{
    public const string Section = "Slots";

    /// <summary>CONTRACT section 6: voting slots are checked at least every 5 s.</summary>
    [Range(0.1, 5)]
    public double CheckIntervalSeconds { get; set; } = 2;

    /// <summary>Covers the edge publish timeout: a vote accepted just before votingEndsAt may still be on its way to the stream.</summary>
    [Range(0, 60)]
    public double BarrierGraceSeconds { get; set; } = 2;

    /// <summary>How long an admin advance waits in the request for the barrier before leaving the close to the loop.</summary>
    [Range(0, 120)]
    public double AdvanceWaitSeconds { get; set; } = 10;
}

public sealed class LeaderboardOptions
{
    public const string Section = "Leaderboards";

    [Range(0.2, 300)]
    public double RollupIntervalSeconds { get; set; } = 5;

    /// <summary>Shard rows read per batch; one batch is one generation.</summary>
    [Range(10, 100_000)]
    public int RollupBatchSize { get; set; } = 5000;

    /// <summary>How long a page cursor stays valid; retired total rows older than this are deleted.</summary>
    [Range(1, 1440)]
    public int CursorLifetimeMinutes { get; set; } = 15;
}

/// <summary>Signed-in users' own views.</summary>
public sealed class MeOptions
{
    public const string Section = "Me";

    /// <summary>The edges' daily weighted allowance (CONTRACT section 4), which <c>remainingToday</c> counts down from.</summary>
    [Range(1, 1_000_000)]
    public int DailyWeightLimit { get; set; } = 200;
}

public sealed class ErasureOptions
{
    public const string Section = "Erasure";

    /// <summary>How often the erasure worker runs the steps still pending (a shard or region that did not answer).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class CorsOptions
{
    public const string Section = "Cors";

    /// <summary>Exact origins, or `scheme://host:*` for any port of that host.</summary>
    [Required, MinLength(1)]
    public string[] AllowedOrigins { get; set; } = ["http://localhost:*", "http://127.0.0.1:*"];
}

/// <summary>Reverse proxies whose X-Forwarded-For is believed, so public reads are limited per real client IP.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxies";

    [IpAddressList]
    public string[] Trusted { get; set; } = [];
}
