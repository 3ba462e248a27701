using System.Globalization;
using System.Runtime.InteropServices;
using AiMoviez.Perf.Ingest;
using AiMoviez.LocalServers;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Ingest benchmark: N votes pre-published into a region's vote stream, drained by the real aggregator process into a
// shard, once with every vote on one hot clip and once spread over many clips; next to a raw binary COPY of the same
// rows into an identical votes table. Starts and stops its own nats-server and PostgreSQL.
// "micro [BenchmarkDotNet arguments]" instead measures the aggregator's and the edge's in-process steps per vote
// (BenchmarkDotNet).
if (args is ["micro", .. var benchmarkArgs])
{
    // The aggregator's runtime settings (aggregator/AiMoviez.Aggregator.csproj), the edge's steps' too, a short bounded
    // run per benchmark. Both are published Native AOT; steady-state JIT code without dynamic PGO stands in for them.
    var job = Job.ShortRun.WithGcServer(true).WithGcConcurrent(false)
        .WithEnvironmentVariable("DOTNET_TieredPGO", "0").WithEnvironmentVariable("DOTNET_GCLOHThreshold", "0x400000");
    var config = DefaultConfig.Instance.AddJob(job)
        .WithArtifactsPath(Path.Combine(RepoPaths.Root, "perf", "results", "micro"));
    var summaries = BenchmarkSwitcher.FromTypes([typeof(AggregatorStepBenchmarks), typeof(LedgerLoadBenchmarks), typeof(EdgeStepBenchmarks)])
        .Run(benchmarkArgs.Length > 0 ? benchmarkArgs : ["--filter", "*"], config).ToList();
    return summaries.Count > 0 && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.All(r => r.Success)) ? 0 : 1;
}

// "replicas [votes] [in flight]": publish latency and throughput to an R1 stream on one server and an R3 stream on a
// three-node cluster, side by side (ReplicationBenchmark).
if (args is ["replicas", .. var replicaArgs])
{
    await ReplicationBenchmark.RunAsync(replicaArgs.Length > 0 ? int.Parse(replicaArgs[0], CultureInfo.InvariantCulture) : 20_000,
        replicaArgs.Length > 1 ? int.Parse(replicaArgs[1], CultureInfo.InvariantCulture) : 64, CancellationToken.None);
    return 0;
}

// "redis [votes] [in flight]": the edge's vote step against one redis-server and a three-primary Redis Cluster, side
// by side (RedisLayoutBenchmark).
if (args is ["redis", .. var redisArgs])
{
    await RedisLayoutBenchmark.RunAsync(redisArgs.Length > 0 ? int.Parse(redisArgs[0], CultureInfo.InvariantCulture) : 20_000,
        redisArgs.Length > 1 ? int.Parse(redisArgs[1], CultureInfo.InvariantCulture) : 64);
    return 0;
}

// "rollup [--rate N] [--duration S] [--interval S] [--explain]": core's leaderboard rollup alone, the CPU that core and the catalog
// PostgreSQL spend per vote while the shard's day tables take aggregator-shaped batches (RollupBenchmark).
if (args is ["rollup", .. var rollupArgs])
{
    int Option(string name, int fallback) =>
        Array.IndexOf(rollupArgs, name) is var i and >= 0 && i + 1 < rollupArgs.Length ? int.Parse(rollupArgs[i + 1], CultureInfo.InvariantCulture) : fallback;
    await RollupBenchmark.RunAsync(Option("--rate", 4_000), Option("--duration", 30), TimeSpan.FromSeconds(Option("--interval", 30)),
        rollupArgs.Contains("--explain"), CancellationToken.None);
    return 0;
}

var votes = 1_000_000;
var clips = 1_000;
var votesPerMessage = 1;
string[] phases = [.. IngestBenchmark.AllPhases];
for (var i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--votes":
            votes = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--clips":
            clips = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--votes-per-message":
            votesPerMessage = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--phases":
            phases = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            break;
    }
}

if (votesPerMessage < 1)
{
    Console.Error.WriteLine("--votes-per-message must be at least 1");
    return 2;
}

if (phases.Except(IngestBenchmark.AllPhases).ToList() is [_, ..] unknown)
{
    Console.Error.WriteLine($"unknown phase(s) {string.Join(", ", unknown)}; phases are {string.Join(", ", IngestBenchmark.AllPhases)}");
    return 2;
}

// Ctrl+C or SIGTERM unwinds the run, so the PostgreSQL it started (a daemon, not a child) is stopped and its files go.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
try
{
    await IngestBenchmark.RunAsync(votes, clips, votesPerMessage, phases, stop.Token);
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("stopped; its servers are stopped and its files deleted");
    return 130;
}
