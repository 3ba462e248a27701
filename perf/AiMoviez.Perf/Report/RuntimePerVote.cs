using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Report;

/// <summary>
/// One .NET service over the load window, per accepted vote of the whole stack (so the edges' rows add up to what the
/// edge that took a vote spent on it): bytes allocated, thread-pool work items run, gen0 collections and lock
/// contentions per thousand votes.
/// </summary>
public sealed record ProcessRuntime(string Name, string Group, double AllocatedKilobytesPerVote, double WorkItemsPerVote,
    double Gen0CollectionsPerThousandVotes, double LockContentionsPerThousandVotes);

/// <summary>What the .NET runtime of each service counted over the load window, per accepted vote.</summary>
public sealed record RuntimePerVote
{
    public required IReadOnlyList<ProcessRuntime> Processes { get; init; }

    /// <summary>Kilobytes allocated and work items per vote, summed by kind (every edge, every aggregator).</summary>
    public required IReadOnlyDictionary<string, ProcessRuntime> Groups { get; init; }

    /// <summary>A service missing from either reading (it did not answer, or restarted in between) is left out.</summary>
    public static RuntimePerVote From(RuntimeSnapshot start, RuntimeSnapshot end, long acceptedVotes)
    {
        var votes = (double)Math.Max(1, acceptedVotes);
        var processes = new List<ProcessRuntime>();
        foreach (var (name, to) in end.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            // A counter that went down is a restarted process, whose totals began again.
            if (!start.Services.TryGetValue(name, out var from) || to.AllocatedBytes < from.AllocatedBytes)
            {
                continue;
            }

            processes.Add(new ProcessRuntime(name, CpuPerVote.Group(name),
                Math.Round((to.AllocatedBytes - from.AllocatedBytes) / 1024 / votes, 2),
                Math.Round((to.ThreadPoolWorkItems - from.ThreadPoolWorkItems) / votes, 2),
                Math.Round((to.Gen0Collections - from.Gen0Collections) * 1000 / votes, 2),
                Math.Round((to.LockContentions - from.LockContentions) * 1000 / votes, 2)));
        }

        return new RuntimePerVote
        {
            Processes = processes,
            Groups = processes.GroupBy(p => p.Group, StringComparer.Ordinal).ToDictionary(g => g.Key, g => new ProcessRuntime(g.Key, g.Key,
                Math.Round(g.Sum(p => p.AllocatedKilobytesPerVote), 2), Math.Round(g.Sum(p => p.WorkItemsPerVote), 2),
                Math.Round(g.Sum(p => p.Gen0CollectionsPerThousandVotes), 2), Math.Round(g.Sum(p => p.LockContentionsPerThousandVotes), 2)),
                StringComparer.Ordinal),
        };
    }
}
