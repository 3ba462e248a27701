namespace AiMoviez.Perf;

/// <summary>
/// What the command line asked for. Unset values are null so each scenario applies its own default
/// (sustained and burst differ in rate, voters and duration).
/// </summary>
public sealed record PerfOptions
{
    public required string Scenario { get; init; }
    public double? Rate { get; init; }
    public double? DurationSeconds { get; init; }
    public int? Voters { get; init; }
    public int? Votes { get; init; }
    public int? Clips { get; init; }
    public IReadOnlyList<string> Regions { get; init; } = [];
    public double HotShare { get; init; } = 0.3;
    public int? Concurrency { get; init; }
    public Guid? SeasonId { get; init; }
    public required string TopologyPath { get; init; }
    public required string RepoRoot { get; init; }

    /// <summary>The running stack's state folder (`.aimoviez/`, or `.aimoviez/ha/` for the HA layout): its pid files.</summary>
    public string? StateDirectory { get; init; }

    public string StateDirectoryOrDefault => StateDirectory ?? Path.Combine(RepoRoot, ".aimoviez");
    public required string OutDirectory { get; init; }
    public string? AdminToken { get; init; }
    public string? CreatorToken { get; init; }
    public int ReceiptSample { get; init; } = 50_000;
    public double DrainTimeoutSeconds { get; init; } = 120;

    /// <summary>Votes with the flag require_captcha_voting on, each carrying a token the local stack's verifier passes.</summary>
    public bool Captcha { get; init; }

    public double RateOr(double fallback) => Rate ?? fallback;
    public TimeSpan DurationOr(double fallbackSeconds) => TimeSpan.FromSeconds(DurationSeconds ?? fallbackSeconds);
    public int ConcurrencyOr(int fallback) => Concurrency ?? fallback;
}
