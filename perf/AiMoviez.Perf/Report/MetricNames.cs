namespace AiMoviez.Perf.Report;

/// <summary>Names of headline metrics shared between the scenarios that produce them and the ratios that read them.</summary>
public static class MetricNames
{
    public const string AcceptedPerSecond = "acceptedPerSecond";
    public const string TargetRate = "targetRatePerSecond";
    public const string P50Ms = "p50Ms";
    public const string P90Ms = "p90Ms";
    public const string P99Ms = "p99Ms";
    public const string P999Ms = "p999Ms";
    public const string DrainSeconds = "drainSeconds";
    public const string MaxTallyStalenessMs = "maxTallyStalenessMs";
    public const string MeanTallyStalenessMs = "meanTallyStalenessMs";
    public const string MaxTallyBehindVotes = "maxTallyBehindVotes";
    public const string EffectiveHotShare = "effectiveHotShare";
    public const string BaselineVotesPerSecond = "baselineVotesPerSecond";
    public const string HealthzPerSecond = "healthzPerSecond";
    public const string CopyRowsPerSecond = "copyRowsPerSecond";
    public const string StackCpuUsPerVote = "stackCpuUsPerVote";
    public const string StackCpuUsPerVoteWithLeaderboardFold = "stackCpuUsPerVoteWithLeaderboardFold";
    public const string LoadToolCpuUsPerVote = "loadToolCpuUsPerVote";
    public const string DashboardCpuUsPerVote = "dashboardCpuUsPerVote";
    public const string EdgesCpuUsPerVote = "edgesCpuUsPerVote";
    public const string EdgesCpuUsPerHealthz = "edgesCpuUsPerHealthz";
    public const string EdgesVoteOverHealthzCpu = "edgesVoteOverHealthzCpu";
    public const string EdgesAllocatedKbPerVote = "edgesAllocatedKbPerVote";
    public const string EdgesWorkItemsPerVote = "edgesWorkItemsPerVote";
}
