using System.Diagnostics;
using System.Globalization;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using AiMoviez.Contracts;
using AiMoviez.LocalServers;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// What a Redis Cluster costs a vote's Redis step: the edge's own <see cref="VoteLedger.CastAsync"/> for distinct voters
/// (each from its own IP, limits out of reach, so every vote is accepted) against one redis-server, where one script
/// does it all, and against a three-primary Redis Cluster, where the IP's window is a second script on the IP's slot
/// first; one vote at a time (the latency a voter waits for) and many in flight (the throughput an edge gets).
/// </summary>
public static class RedisLayoutBenchmark
{
    public static async Task RunAsync(int votes, int inFlight)
    {
        using var dir = new TempDirectory("redis-layout");
        var rows = new List<string>();
        await using (var single = await RedisServer.StartAsync(dir.Sub("single")))
        {
            rows.AddRange(await MeasureAsync("1 server, one script", single.Endpoint, "s", votes, inFlight));
        }

        await using (var cluster = await RedisCluster.StartAsync(dir.Sub("cluster")))
        {
            rows.AddRange(await MeasureAsync("3-primary cluster, IP script first", cluster.Endpoints, "c", votes, inFlight));
        }

        Console.WriteLine($"{(await ExternalProcess.RunAsync("redis-server", ["--version"])).Trim()}, {votes} votes per run");
        Console.WriteLine("| Redis | in flight | p50 ms | p99 ms | votes/s | Redis CPU µs/vote |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<List<string>> MeasureAsync(string name, string endpoints, string tag, int votes, int inFlight)
    {
        // Admin: the benchmark reads the servers' own CPU counters (INFO cpu).
        var configuration = ConfigurationOptions.Parse(endpoints);
        configuration.AllowAdmin = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var options = Options.Create(new EdgeOptions
        {
            Region = "bench", VotesPerVoterPerWindow = 1_000, VotesPerIpPerWindow = 1_000_000, DailyWeightLimit = 1_000_000,
            RedisTimeout = TimeSpan.FromSeconds(10),
        });
        var ledger = new VoteLedger(connection.GetDatabase(), options, Options.Create(new CaptchaOptions()), new RegionTopology { Name = "bench", EdgeUrl = "", Nats = "", Redis = endpoints });
        var clip = Guid.NewGuid();
        var rows = new List<string>();
        foreach (var window in new[] { 1, inFlight })
        {
            var latencies = new double[votes];
            var next = -1;
            var cpuBefore = await ServerCpuSecondsAsync(connection);
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, window).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); i < votes; i = Interlocked.Increment(ref next))
                {
                    var voter = $"device_{tag}{window}_{i}";
                    var now = DateTimeOffset.UtcNow;
                    var attempt = new VoteAttempt(voter, $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}",
                        VoteIds.New(now, VoterBuckets.Of(voter)), VoteTypes.Standard, null, 1, clip, null, false, VoteFlags.None, now, null, null);
                    var sent = Stopwatch.GetTimestamp();
                    var decision = await ledger.CastAsync(attempt);
                    latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    if (decision.Code != "OK")
                    {
                        throw new InvalidOperationException($"Vote {i} was answered {decision.Code}.");
                    }
                }
            }));
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpuPerVote = (await ServerCpuSecondsAsync(connection) - cpuBefore) * 1e6 / votes;
            Array.Sort(latencies);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {window} | {latencies[latencies.Length / 2]:F2} | {latencies[(int)(latencies.Length * 0.99)]:F2} | {votes / elapsed.TotalSeconds:F0} | {cpuPerVote:F1} |"));
        }

        return rows;
    }

    /// <summary>The CPU all the servers have used (user and system, their own count in INFO), in seconds.</summary>
    private static async Task<double> ServerCpuSecondsAsync(ConnectionMultiplexer connection)
    {
        var total = 0.0;
        foreach (var server in connection.GetServers())
        {
            foreach (var group in await server.InfoAsync("cpu"))
            {
                total += group.Where(p => p.Key is "used_cpu_user" or "used_cpu_sys")
                    .Sum(p => double.Parse(p.Value, CultureInfo.InvariantCulture));
            }
        }

        return total;
    }
}
