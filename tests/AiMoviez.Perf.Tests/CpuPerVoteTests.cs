using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

public sealed class CpuPerVoteTests
{
    [Fact]
    public void Each_process_s_cpu_is_divided_by_the_votes_the_stack_accepted_and_the_stack_total_leaves_the_load_tool_and_dashboard_out()
    {
        var start = Snapshot(0, machine: 1_000, ("edge-us-east", 100), ("edge-eu-west", 50), ("pg-shard-1", 10), ("core", 5), ("perf", 0),
            ("dashboard", 40));
        // 3 s, 3 s and 0.6 s of CPU; the load tool 2 s, the dashboard 0.5 s; core restarted (no start reading of its new
        // pid) is left out.
        var end = Snapshot(20, machine: 2_000, ("edge-us-east", 400), ("edge-eu-west", 350), ("pg-shard-1", 70), ("perf", 200), ("aggregator", 90),
            ("dashboard", 90));

        var cpu = CpuPerVote.From(start, end, acceptedVotes: 10_000);

        Assert.Equal(["edge-eu-west", "edge-us-east", "pg-shard-1"], cpu.Processes.Select(p => p.Name));
        Assert.Equal(300, cpu.Processes.Single(p => p.Name == "edge-us-east").MicrosecondsPerVote);
        Assert.Equal(3, cpu.Processes.Single(p => p.Name == "edge-us-east").CpuSeconds);
        Assert.Equal(60, cpu.Processes.Single(p => p.Name == "pg-shard-1").MicrosecondsPerVote);
        Assert.Equal(660, cpu.StackMicrosecondsPerVote);
        Assert.Equal(200, cpu.LoadToolMicrosecondsPerVote);
        Assert.Equal(50, cpu.DashboardMicrosecondsPerVote);
        Assert.Equal(1_000, cpu.MachineMicrosecondsPerVote);
        Assert.Equal(600, cpu.GroupMicrosecondsPerVote["edges"]);
        Assert.Equal(60, cpu.GroupMicrosecondsPerVote["pg-shards"]);
        Assert.Equal(10_000, cpu.AcceptedVotes);
        Assert.Equal(20, cpu.WindowSeconds, 3);
    }

    [Fact]
    public void The_edges_cpu_per_healthz_counts_only_the_loaded_edges_and_is_set_beside_their_cpu_per_vote()
    {
        var cpu = CpuPerVote.From(
            Snapshot(0, null, ("edge-us-east", 0), ("edge-eu-west", 0), ("edge-ap-south", 0)),
            Snapshot(10, null, ("edge-us-east", 300), ("edge-eu-west", 300), ("edge-ap-south", 900)),
            acceptedVotes: 10_000);

        // 20,000 healthz over the two loaded edges, 1 s of CPU each: 100 µs per request, against 600 µs per vote.
        var measured = cpu.WithHealthz(
            Snapshot(0, null, ("edge-us-east", 1_000), ("edge-eu-west", 1_000), ("edge-ap-south", 0)),
            Snapshot(10, null, ("edge-us-east", 1_100), ("edge-eu-west", 1_100), ("edge-ap-south", 500)),
            ["edge-us-east", "edge-eu-west"], requests: 20_000, ratePerSecond: 2_000);

        var healthz = measured.Healthz!;
        Assert.Equal(100, healthz.EdgesMicrosecondsPerRequest);
        Assert.Equal(600, healthz.EdgesMicrosecondsPerVote);
        Assert.Equal(6, healthz.VoteOverHealthz);
        Assert.Equal(20_000, healthz.Requests);
        Assert.Equal(2_000, healthz.RatePerSecond);
        Assert.Equal(cpu.Processes, measured.Processes);
    }

    [Fact]
    public void The_leaderboards_fold_counts_the_rollup_s_processes_until_the_fold_less_their_lowest_idle_rate_over_the_time_after_the_load()
    {
        var start = Snapshot(0, null, ("pg-catalog", 100), ("core", 50), ("pg-shard-1", 10), ("edge-us-east", 0));
        var loadEnd = Snapshot(20, null, ("pg-catalog", 120), ("core", 60), ("pg-shard-1", 70), ("edge-us-east", 300));
        var cpu = CpuPerVote.From(start, loadEnd, acceptedVotes: 10_000);
        // 30 s after the load the leaderboards hold its votes; then 5 s idle: the catalog 1 tick a second, core 2, the shard 1.
        var folded = Snapshot(50, null, ("pg-catalog", 400), ("core", 160), ("pg-shard-1", 100), ("edge-us-east", 330));
        var idleEnd = Snapshot(55, null, ("pg-catalog", 405), ("core", 170), ("pg-shard-1", 105), ("edge-us-east", 335));
        // 5 s idle before the load too, the shard busy with an autovacuum then: the lower rate of the two counts.
        var idleBefore = new IdleReading(Snapshot(-10, null, ("pg-catalog", 80), ("core", 30), ("pg-shard-1", 0)),
            Snapshot(-5, null, ("pg-catalog", 85), ("core", 40), ("pg-shard-1", 9)));

        var fold = cpu.WithLeaderboardFold(start, loadEnd, folded, [idleBefore, new IdleReading(folded, idleEnd)]).LeaderboardFold!;

        Assert.Equal(30, fold.SecondsAfterLoad, 3);
        Assert.Equal(10, fold.IdleSeconds, 3);
        Assert.Equal(2, fold.IdleReadings);
        // The catalog: 300 ticks since the start, 30 of them idle after the load: 2.7 s, 270 µs a vote. The edge is not the rollup's.
        Assert.Equal(["core", "pg-catalog", "pg-shard-1"], fold.Processes.Select(p => p.Name));
        Assert.Equal(270, fold.Processes.Single(p => p.Name == "pg-catalog").MicrosecondsPerVote);
        Assert.Equal(2.7, fold.Processes.Single(p => p.Name == "pg-catalog").CpuSeconds);
        Assert.Equal(50, fold.GroupMicrosecondsPerVote["core"]);
        Assert.Equal(60, fold.GroupMicrosecondsPerVote["pg-shards"]);
        // The window's edge, with the fold's figures in place of the window's 20, 10 and 60.
        Assert.Equal(390, cpu.StackMicrosecondsPerVote);
        Assert.Equal(680, fold.StackMicrosecondsPerVote);
    }

    [Fact]
    public async Task A_process_s_cpu_includes_its_children_read_from_proc_while_they_run()
    {
        using var dir = new TempDirectory("perf-cpu");
        // The parent only waits; its child spins, as a postmaster waits while its backends work.
        using var parent = ExternalProcess.Start("sh", ["-c", "sh -c 'while :; do :; done' & wait"], dir.FilePath("busy.log"));
        var sampler = ProcessSampler.For(new Dictionary<string, int> { ["busy"] = parent.Pid });
        var start = sampler.CpuNow();

        // 0.3 s of CPU: however busy the machine, the child gets that within the deadline.
        var end = await Eventually.UntilAsync(() => Task.FromResult(sampler.CpuNow()),
            now => now.Ticks.GetValueOrDefault("busy") - start.Ticks["busy"] >= 30, TimeSpan.FromSeconds(60), "the child to use 0.3 s of CPU");
        var cpu = CpuPerVote.From(start, end, acceptedVotes: 1_000);

        var busy = cpu.Processes.Single();
        Assert.Equal("busy", busy.Name);
        Assert.InRange(busy.CpuSeconds, 0.3, cpu.WindowSeconds * Environment.ProcessorCount + 0.01);
        Assert.Equal(Math.Round(busy.CpuSeconds * 1_000_000 / 1_000, 1), busy.MicrosecondsPerVote, 0.1);
    }

    private static CpuSnapshot Snapshot(double seconds, long? machine, params (string Name, long Ticks)[] ticks) =>
        new((long)(seconds * System.Diagnostics.Stopwatch.Frequency), ticks.ToDictionary(t => t.Name, t => t.Ticks), machine);
}
