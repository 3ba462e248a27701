using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Report;

/// <summary>One process (with its children) over the load window: its CPU, and that CPU per accepted vote.</summary>
public sealed record ProcessCpu(string Name, string Group, double CpuSeconds, double MicrosecondsPerVote);

/// <summary>
/// The edges' CPU per plain GET /healthz, driven after the votes at the vote rate, beside their CPU per vote: the
/// ratio says how many times a vote costs an edge what the HTTP exchange alone does.
/// </summary>
public sealed record HealthzCpu(long Requests, double RatePerSecond, double Seconds, double EdgesMicrosecondsPerRequest,
    double EdgesMicrosecondsPerVote, double? VoteOverHealthz);

/// <summary>
/// The processes the leaderboards' rollup runs in (catalog PostgreSQL, core, the shards it reads), from the load's start
/// until the rollup had folded the load's votes, less what they spend idle over the time after the load, beside the
/// stack's total with these figures in place of the window's.
/// </summary>
/// <param name="SecondsAfterLoad">From the load's end until the leaderboards held its votes.</param>
/// <param name="IdleSeconds">How long the idle rate was read, all readings together.</param>
/// <param name="IdleReadings">How many readings of the idle rate there were; each process's lowest is taken out.</param>
public sealed record LeaderboardFold(double SecondsAfterLoad, double IdleSeconds, int IdleReadings, IReadOnlyList<ProcessCpu> Processes,
    IReadOnlyDictionary<string, double> GroupMicrosecondsPerVote, double StackMicrosecondsPerVote);

/// <summary>Two snapshots around a time the stack had no load.</summary>
public sealed record IdleReading(CpuSnapshot From, CpuSnapshot To);

/// <summary>
/// Where the CPU of one accepted vote goes, over the load window: per process of the stack (all of its CPU, every
/// thread and child, divided by the votes the whole stack accepted, so the rows add up), the stack's total without
/// the load tool and the dashboard, each of those two, and the whole machine (which shows other work on a shared box).
/// </summary>
public sealed record CpuPerVote
{
    public required double WindowSeconds { get; init; }
    public required long AcceptedVotes { get; init; }
    public required IReadOnlyList<ProcessCpu> Processes { get; init; }
    /// <summary>The processes' rows summed by kind (every edge, every nats-server...), as issue 19 reads them.</summary>
    public required IReadOnlyDictionary<string, double> GroupMicrosecondsPerVote { get; init; }
    public required double StackMicrosecondsPerVote { get; init; }
    public double? LoadToolMicrosecondsPerVote { get; init; }
    /// <summary>The telemetry dashboard receiving the stack's traces, metrics and logs, when `./aimoviez up` started one.</summary>
    public double? DashboardMicrosecondsPerVote { get; init; }
    public double? MachineMicrosecondsPerVote { get; init; }
    public HealthzCpu? Healthz { get; init; }
    public LeaderboardFold? LeaderboardFold { get; init; }

    /// <summary>The groups whose work for a vote continues after the load, in the leaderboards' rollup passes.</summary>
    public static readonly IReadOnlySet<string> LeaderboardFoldGroups = new HashSet<string>(StringComparer.Ordinal) { "pg-catalog", "core", "pg-shards" };

    private const double MicrosecondsPerTick = 1_000_000 / CpuSnapshot.TicksPerSecond;

    /// <summary>
    /// From two snapshots around the load window. A process missing from either (it was not running, or it restarted
    /// into a new pid) is left out rather than guessed.
    /// </summary>
    public static CpuPerVote From(CpuSnapshot start, CpuSnapshot end, long acceptedVotes)
    {
        var votes = Math.Max(1, acceptedVotes);
        var processes = new List<ProcessCpu>();
        double? loadTool = null;
        double? dashboard = null;
        foreach (var name in end.Ticks.Keys.Order(StringComparer.Ordinal))
        {
            if (Ticks(start, end, name) is not { } ticks)
            {
                continue;
            }

            var perVote = Math.Round(ticks * MicrosecondsPerTick / votes, 1);
            if (name == ProcessSampler.LoadToolName)
            {
                loadTool = perVote;
                continue;
            }

            if (name == ProcessSampler.DashboardName)
            {
                dashboard = perVote;
                continue;
            }

            processes.Add(new ProcessCpu(name, Group(name), Math.Round(ticks / CpuSnapshot.TicksPerSecond, 2), perVote));
        }

        return new CpuPerVote
        {
            WindowSeconds = Math.Round(Seconds(start, end), 3),
            AcceptedVotes = acceptedVotes,
            Processes = processes,
            GroupMicrosecondsPerVote = processes.GroupBy(p => p.Group, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Math.Round(g.Sum(p => p.MicrosecondsPerVote), 1), StringComparer.Ordinal),
            StackMicrosecondsPerVote = Math.Round(processes.Sum(p => p.MicrosecondsPerVote), 1),
            LoadToolMicrosecondsPerVote = loadTool,
            DashboardMicrosecondsPerVote = dashboard,
            MachineMicrosecondsPerVote = start.MachineTicks is { } from && end.MachineTicks is { } to
                ? Math.Round(Math.Max(0, to - from) * MicrosecondsPerTick / votes, 1)
                : null,
        };
    }

    /// <summary>
    /// The edges' CPU per healthz request between two snapshots, against their CPU per vote in this window. Only the
    /// edges that took the load count, on both sides.
    /// </summary>
    public CpuPerVote WithHealthz(CpuSnapshot start, CpuSnapshot end, IReadOnlyCollection<string> edgeNames, long requests, double ratePerSecond)
    {
        var edgeTicks = edgeNames.Sum(name => Ticks(start, end, name) ?? 0);
        var perRequest = Math.Round(edgeTicks * MicrosecondsPerTick / Math.Max(1, requests), 1);
        var perVote = Math.Round(Processes.Where(p => edgeNames.Contains(p.Name)).Sum(p => p.MicrosecondsPerVote), 1);
        return this with
        {
            Healthz = new HealthzCpu(requests, Math.Round(ratePerSecond, 1),
                Math.Round(Seconds(start, end), 3),
                perRequest, perVote, perRequest > 0 ? Math.Round(perVote / perRequest, 2) : null),
        };
    }

    /// <summary>
    /// The rollup's processes from <paramref name="loadStart"/> until <paramref name="folded"/> (the leaderboards held the
    /// load's votes), less their idle rate times the time after <paramref name="loadEnd"/>, per accepted vote. Each
    /// process's idle rate is the lowest of <paramref name="idle"/>: an autovacuum or a checkpoint inside one reading
    /// would otherwise take the work of many seconds out of the votes' share. A process missing from any reading is left out.
    /// </summary>
    public CpuPerVote WithLeaderboardFold(CpuSnapshot loadStart, CpuSnapshot loadEnd, CpuSnapshot folded, IReadOnlyList<IdleReading> idle)
    {
        var votes = Math.Max(1, AcceptedVotes);
        var after = Seconds(loadEnd, folded);
        var processes = new List<ProcessCpu>();
        foreach (var process in Processes.Where(p => LeaderboardFoldGroups.Contains(p.Group)))
        {
            if (Ticks(loadStart, folded, process.Name) is not { } sinceStart || IdleRate(process.Name, idle) is not { } idleRate)
            {
                continue;
            }

            var ticks = Math.Max(0, sinceStart - idleRate * after);
            processes.Add(process with
            {
                CpuSeconds = Math.Round(ticks / CpuSnapshot.TicksPerSecond, 2),
                MicrosecondsPerVote = Math.Round(ticks * MicrosecondsPerTick / votes, 1),
            });
        }

        var replaced = processes.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return this with
        {
            LeaderboardFold = new LeaderboardFold(Math.Round(after, 3), Math.Round(idle.Sum(r => Seconds(r.From, r.To)), 3), idle.Count, processes,
                processes.GroupBy(p => p.Group, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => Math.Round(g.Sum(p => p.MicrosecondsPerVote), 1), StringComparer.Ordinal),
                Math.Round(Processes.Where(p => !replaced.Contains(p.Name)).Sum(p => p.MicrosecondsPerVote) + processes.Sum(p => p.MicrosecondsPerVote), 1)),
        };
    }

    /// <summary>The process's lowest CPU ticks per second among the readings; null when a reading lacks it.</summary>
    private static double? IdleRate(string name, IReadOnlyList<IdleReading> idle)
    {
        double? lowest = null;
        foreach (var reading in idle)
        {
            if (Ticks(reading.From, reading.To, name) is not { } ticks)
            {
                return null;
            }

            var seconds = Seconds(reading.From, reading.To);
            var rate = seconds > 0 ? ticks / seconds : 0;
            lowest = Math.Min(lowest ?? rate, rate);
        }

        return lowest ?? 0;
    }

    /// <summary>A process's CPU ticks between two snapshots; null when either lacks it (not running, or restarted into a new pid).</summary>
    private static long? Ticks(CpuSnapshot from, CpuSnapshot to, string name) =>
        from.Ticks.TryGetValue(name, out var start) && to.Ticks.TryGetValue(name, out var end) ? Math.Max(0, end - start) : null;

    private static double Seconds(CpuSnapshot from, CpuSnapshot to) =>
        System.Diagnostics.Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp).TotalSeconds;

    /// <summary>edge-us-east → edges, nats-eu-west → nats-servers, pg-shard-2 → pg-shards, aggregator-2 → aggregators; others as named.</summary>
    public static string Group(string name) => name switch
    {
        _ when name.StartsWith("aggregator-", StringComparison.Ordinal) => "aggregators",
        _ when name.StartsWith("edge-", StringComparison.Ordinal) => "edges",
        _ when name.StartsWith("nats-", StringComparison.Ordinal) => "nats-servers",
        _ when name.StartsWith("redis-", StringComparison.Ordinal) => "redis-servers",
        _ when name.StartsWith("pg-shard", StringComparison.Ordinal) => "pg-shards",
        _ => name,
    };
}
