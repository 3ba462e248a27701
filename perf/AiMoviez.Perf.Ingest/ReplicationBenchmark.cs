using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.LocalServers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// What replication costs a vote's publish: the same votes published, with their vote id as message id as the edge
/// does, to a vote stream of 1 replica on one nats-server and to one of 3 replicas on a three-node cluster on
/// loopback; one publish at a time (the latency a voter waits for) and many in flight (the throughput an edge gets).
/// </summary>
public static class ReplicationBenchmark
{
    private const string Region = "bench";

    public static async Task RunAsync(int votes, int inFlight, CancellationToken cancellationToken)
    {
        using var dir = new TempDirectory("replicas");
        var payloads = BenchmarkVotes.Distinct(Region, votes, 1_000)
            .Select(v => (v.VoteId.ToString(), JsonSerializer.SerializeToUtf8Bytes(v, ContractsJson.Default.VoteCast))).ToList();
        var rows = new List<string>();
        await using (var single = await NatsServer.StartAsync(dir.Sub("r1")))
        {
            rows.AddRange(await MeasureAsync("R1, 1 server", single.Url, 1, payloads, inFlight, cancellationToken));
        }

        await using (var cluster = await NatsCluster.StartAsync(dir.Sub("r3")))
        {
            rows.AddRange(await MeasureAsync("R3, 3-node cluster", cluster.Urls, 3, payloads, inFlight, cancellationToken));
        }

        Console.WriteLine($"nats-server {(await ExternalProcess.RunAsync("nats-server", ["--version"])).Trim()}, {votes} votes per run, file storage");
        Console.WriteLine("| stream | in flight | p50 ms | p99 ms | votes/s |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<List<string>> MeasureAsync(string name, string urls, int replicas, List<(string Id, byte[] Data)> payloads, int inFlight,
        CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = urls, ConnectTimeout = TimeSpan.FromSeconds(10) });
        var js = new NatsJSContext(connection);
        var rows = new List<string>();
        foreach (var window in new[] { 1, inFlight })
        {
            // A fresh stream per run, so each starts empty and no message id is a duplicate of the run before.
            var stream = $"VOTES_{replicas}_{window}";
            var region = $"r{replicas}w{window}";
            await js.CreateStreamAsync(new StreamConfig(stream, [Subjects.VoteStreamSubjects(region)])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = StreamLimits.VotesDuplicateWindow,
                NumReplicas = replicas,
            }, cancellationToken);
            var subject = Subjects.VoteCast(region, "shard-1");
            var latencies = new double[payloads.Count];
            var next = -1;
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, window).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); i < payloads.Count; i = Interlocked.Increment(ref next))
                {
                    var sent = Stopwatch.GetTimestamp();
                    var ack = await js.PublishAsync(subject, payloads[i].Data, opts: new NatsJSPubOpts { MsgId = payloads[i].Id }, cancellationToken: cancellationToken);
                    ack.EnsureSuccess();
                    latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                }
            }));
            var elapsed = Stopwatch.GetElapsedTime(started);
            Array.Sort(latencies);
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {window} | {latencies[latencies.Length / 2]:F2} | {latencies[(int)(latencies.Length * 0.99)]:F2} | {payloads.Count / elapsed.TotalSeconds:F0} |"));
        }

        return rows;
    }
}
