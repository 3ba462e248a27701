using AiMoviez.Perf.Scenarios;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

[Collection(PerfStackCollection.Name)]
public sealed class StackRunTests(PerfStack stack)
{
    [Fact]
    public void The_stack_s_processes_are_found_by_the_ports_the_topology_gives_them()
    {
        var found = StackProcesses.Find(stack.Stack.Topology);

        Assert.Equal(stack.Core.Pid, found["core"]);
        Assert.Equal(stack.Aggregator.Pid, found["aggregator"]);
        Assert.Equal(stack.Edge.Pid, found["edge-" + PerfStack.Region]);
        Assert.Equal(stack.Stack.Nats[PerfStack.Region].Pid, found["nats-" + PerfStack.Region]);
        Assert.Equal(stack.Stack.Redis[PerfStack.Region].Pid, found["redis-" + PerfStack.Region]);
        // The postmaster, not one of its backends (which hold client sockets, never the listening one).
        Assert.Equal(stack.Stack.Catalog.PostmasterPid, found["pg-catalog"]);
        Assert.Equal(stack.Stack.Shards["shard-1"].PostmasterPid, found["pg-shard-1"]);
        Assert.Equal(stack.Stack.Shards["shard-2"].PostmasterPid, found["pg-shard-2"]);
        Assert.Equal(StackProcesses.Listeners(stack.Stack.Topology).Count, found.Count);
    }

    [Fact]
    public async Task A_sustained_run_warms_up_then_votes_in_its_own_season_and_reports_the_cpu_per_vote_of_every_process_and_the_edges_per_healthz()
    {
        var options = stack.Options() with { Rate = 100, DurationSeconds = 4, Clips = 4, ReceiptSample = 1_000 };
        var runTag = "cpu" + Guid.NewGuid().ToString("N")[..5];
        using var seasonHttp = LoopbackHttp.Create(8, TimeSpan.FromSeconds(30));
        var runSeason = new RunSeason(seasonHttp, stack.Addresses, options, runTag, options.AdminToken, options.CreatorToken);
        using var context = new ScenarioContext(options, runTag, options.AdminToken, runSeason);

        var result = await new SustainedScenario(context).RunAsync(CancellationToken.None);

        Assert.True(result.Passed, result.Error ?? string.Join("; ", result.Verification?.Problems ?? []));
        Assert.Contains("the run's own", result.Settings["season"], StringComparison.Ordinal);
        // Warm-up votes went in before the baseline: the verification above holds the run's votes alone.
        Assert.StartsWith("300 votes at 100/s over 3 s", result.Settings["warmUp"], StringComparison.Ordinal);
        var cpu = result.CpuPerVote!;
        Assert.Equal(result.Verification!.Accepted, cpu.AcceptedVotes);
        Assert.True(cpu.AcceptedVotes >= 300, $"{cpu.AcceptedVotes} votes accepted");
        Assert.Subset(cpu.Processes.Select(p => p.Name).ToHashSet(),
            StackProcesses.Listeners(stack.Stack.Topology).Select(l => l.Name).ToHashSet());
        Assert.True(cpu.Processes.Single(p => p.Name == "edge-" + PerfStack.Region).MicrosecondsPerVote > 0);
        Assert.Equal(cpu.Processes.Sum(p => p.MicrosecondsPerVote), cpu.StackMicrosecondsPerVote, 0.5);
        Assert.True(cpu.LoadToolMicrosecondsPerVote > 0);
        var healthz = cpu.Healthz!;
        Assert.InRange(healthz.Requests, 1, 1_000);
        Assert.True(healthz.EdgesMicrosecondsPerRequest >= 0);
        Assert.Equal(cpu.StackMicrosecondsPerVote, result.Metrics["stackCpuUsPerVote"]);
        // The rollup folded the run's votes into the leaderboards, and the catalog's work for them is counted until then.
        var fold = cpu.LeaderboardFold!;
        Assert.True(fold.SecondsAfterLoad > 0);
        Assert.Contains(fold.Processes, p => p.Name == "pg-catalog");
        Assert.Equal(fold.StackMicrosecondsPerVote, result.Metrics["stackCpuUsPerVoteWithLeaderboardFold"]);
        // Read from the services' own GET /metrics: the edge that took the votes allocated and ran work items for them.
        var edgeRuntime = result.RuntimePerVote!.Processes.Single(p => p.Name == "edge-" + PerfStack.Region);
        Assert.True(edgeRuntime.AllocatedKilobytesPerVote > 0);
        Assert.True(edgeRuntime.WorkItemsPerVote > 0);
        Assert.Contains(result.RuntimePerVote.Processes, p => p.Name == "aggregator" && p.AllocatedKilobytesPerVote > 0);
        Assert.Equal(edgeRuntime.AllocatedKilobytesPerVote, result.Metrics["edgesAllocatedKbPerVote"]);

        Assert.StartsWith("deleted", await runSeason.DeleteCreatedAsync(CancellationToken.None), StringComparison.Ordinal);
    }
}
