using System.Diagnostics;
using System.Text.Json;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using AiMoviez.Perf.Stack;
using AiMoviez.LocalServers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Perf.Ingest;

public static class IngestBenchmark
{
    private const int PublishWindow = 2_000;

    /// <summary>What <c>--phases</c> may name, in the order they run.</summary>
    public static readonly string[] AllPhases = ["spread", "hot", "twoshards", "raw"];

    /// <summary>The Native AOT executable <c>./aimoviez bench ingest</c> publishes, or else the dll of the build.</summary>
    private static string AggregatorProgram { get; } = RepoPaths.ServiceProgram("aggregator", "AiMoviez.Aggregator");

    /// <param name="votesPerMessage">
    /// Votes per stream message: 1 publishes every vote alone (<see cref="Subjects.VoteCast"/>); more publishes groups
    /// (<see cref="Subjects.VoteCasts"/>), as edges do with the votes that arrive while their last publish is in flight.
    /// </param>
    public static async Task RunAsync(int voteCount, int clipCount, int votesPerMessage, IReadOnlyCollection<string> phases, CancellationToken stop)
    {
        using var dir = new TempDirectory("perf-ingest");
        await using var nats = await NatsServer.StartAsync(dir.Sub("nats"));
        await using var postgres = await PostgresServer.StartAsync(dir.Sub("pg"), "hot", "spread", "twoshards1", "twoshards2", "raw");
        Console.WriteLine($"Ingest benchmark: {voteCount:N0} votes, {votesPerMessage} per stream message; {Environment.ProcessorCount} cores; servers in {dir.Path}");
        Console.WriteLine($"  aggregator: {AggregatorProgram}");

        var rates = new Dictionary<string, double>();
        foreach (var phase in AllPhases.Where(phases.Contains))
        {
            // Each phase starts after a checkpoint, so no phase pays for the previous one's dirty pages.
            stop.ThrowIfCancellationRequested();
            await CheckpointAsync(postgres);
            var (label, rate) = phase switch
            {
                "spread" => ($"aggregator, spread ({clipCount:N0} clips): ",
                    await AggregatorRunAsync(dir, nats, postgres, "spread", voteCount, clipCount, votesPerMessage, shardCount: 1, stop)),
                "hot" => ("aggregator, hot clip (1 clip):    ", await AggregatorRunAsync(dir, nats, postgres, "hot", voteCount, 1, votesPerMessage, shardCount: 1, stop)),
                // Shards apply in parallel: the same spread votes over two seasons on two shards (two databases of one server).
                "twoshards" => ("aggregator, spread over 2 shards:",
                    await AggregatorRunAsync(dir, nats, postgres, "twoshards", voteCount, clipCount, votesPerMessage, shardCount: 2, stop)),
                _ => ("raw binary COPY into votes:        ",
                    await RawCopyAsync(postgres.ConnectionString("raw"), BenchmarkVotes.Distinct("raw", voteCount, clipCount), voteCount, stop)),
            };
            rates[phase] = rate;
            Console.WriteLine($"{label} {rate,12:N0} votes/s");
        }

        Ratio("hot / spread:      ", "hot", "spread");
        Ratio("hot / raw COPY:    ", "hot", "raw");
        Ratio("spread / raw COPY: ", "spread", "raw");
        Ratio("2 shards / 1 shard:", "twoshards", "spread");

        void Ratio(string label, string over, string under)
        {
            if (rates.TryGetValue(over, out var a) && rates.TryGetValue(under, out var b))
            {
                Console.WriteLine($"{label} {a / b:P0}");
            }
        }
    }

    private static async Task CheckpointAsync(PostgresServer postgres)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString("raw"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("checkpoint", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<double> RawCopyAsync(string connectionString, IEnumerable<VoteCast> votes, int count, CancellationToken stop)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ShardSchema.EnsureAsync(dataSource, CancellationToken.None);
        var rows = votes.ToList();
        await using var connection = await dataSource.OpenConnectionAsync();
        var clock = Stopwatch.StartNew();
        await using (var importer = await connection.BeginBinaryImportAsync(
            "copy votes (vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags, multi_vote, accepted_at, utc_day, status, reason, applied_at) from stdin (format binary)"))
        {
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            foreach (var v in rows)
            {
                await importer.StartRowAsync(stop);
                await importer.WriteAsync(v.VoteId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(v.SeasonId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(v.SlotPosition, NpgsqlDbType.Integer);
                await importer.WriteAsync(v.ClipId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(v.CreatorId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(v.VoterKey, NpgsqlDbType.Text);
                await importer.WriteAsync(v.VoteType, NpgsqlDbType.Text);
                await importer.WriteAsync(v.Weight, NpgsqlDbType.Integer);
                await importer.WriteAsync(v.Region, NpgsqlDbType.Text);
                await importer.WriteAsync(0, NpgsqlDbType.Integer);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean);
                await importer.WriteAsync(v.AcceptedAt, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(day, NpgsqlDbType.Date);
                await importer.WriteAsync(VoteStatuses.Counted, NpgsqlDbType.Text);
                await importer.WriteNullAsync();
                await importer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Pre-publishes the votes into the region's stream, then starts the aggregator and times from its first answer
    /// to the shard's votes_applied reaching the count (the aggregator's start-up is inside the time).
    /// </summary>
    private static async Task<double> AggregatorRunAsync(TempDirectory dir, NatsServer nats, PostgresServer postgres, string region,
        int voteCount, int clipCount, int votesPerMessage, int shardCount, CancellationToken stop)
    {
        var shards = Enumerable.Range(1, shardCount)
            .Select(n => new ShardTopology { Name = $"shard-{n}", ConnectionString = postgres.ConnectionString(shardCount == 1 ? region : region + n) })
            .ToList();
        var topologyPath = dir.FilePath($"topology-{region}.json");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            Aggregator = new ServiceEndpoint { Url = url },
            CatalogDatabase = postgres.ConnectionString("raw"),
            Regions = [new RegionTopology { Name = region, EdgeUrl = "http://127.0.0.1:1", Nats = nats.Url, Redis = "127.0.0.1:1" }],
            Shards = shards,
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = [.. shards.Select(s => s.Name)] }],
        };
        var shardMap = new ShardMap(topology);
        await File.WriteAllTextAsync(topologyPath, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));

        await using (var connection = new NatsConnection(new NatsOpts { Url = nats.Url, ConnectTimeout = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(30) }))
        {
            var js = new NatsJSContext(connection);
            await js.CreateStreamAsync(new StreamConfig(StreamNames.Votes(region), [Subjects.VoteStreamSubjects(region)])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = TimeSpan.FromMinutes(2),
                MaxAge = TimeSpan.FromDays(7),
            });
            var clock = Stopwatch.StartNew();
            var messages = 0;
            foreach (var window in BenchmarkVotes.Distinct(region, voteCount, clipCount, seasons: shardCount).Chunk(PublishWindow * votesPerMessage))
            {
                stop.ThrowIfCancellationRequested();
                // A group holds one lane's votes, as an edge's does.
                var groups = window.GroupBy(v => shardMap.LaneFor(v.SeasonNumber)).SelectMany(lane => lane.Chunk(votesPerMessage).Select(g => (Lane: lane.Key, Votes: g))).ToList();
                messages += groups.Count;
                await Task.WhenAll(groups.Select(async g =>
                    (await (votesPerMessage == 1
                        ? js.PublishAsync(Subjects.VoteCast(region, g.Lane), JsonSerializer.SerializeToUtf8Bytes(g.Votes[0], ContractsJson.Default.VoteCast),
                            opts: new NatsJSPubOpts { MsgId = g.Votes[0].VoteId.ToString() })
                        : js.PublishAsync(Subjects.VoteCasts(region, g.Lane), JsonSerializer.SerializeToUtf8Bytes(new VoteCasts { Votes = g.Votes }, ContractsJson.Default.VoteCasts),
                            opts: new NatsJSPubOpts { MsgId = "casts-" + g.Votes[0].VoteId }))).EnsureSuccess()));
            }

            Console.WriteLine($"  [{region}] pre-published {voteCount:N0} votes in {messages:N0} messages at {voteCount / clock.Elapsed.TotalSeconds:N0} votes/s");
        }

        await using var aggregator = new ServiceProcess("aggregator-" + region, AggregatorProgram,
            url, dir.Path, new Dictionary<string, string?>
            {
                ["Topology__Path"] = topologyPath,
                ["ASPNETCORE_URLS"] = url,
                ["DOTNET_gcServer"] = "1",
                ["Logging__LogLevel__Default"] = "Warning",
                // Each batch's phase timings, kept with the results.
                ["Logging__LogLevel__AiMoviez.Aggregator.Shards"] = "Debug",
            });
        var run = Stopwatch.StartNew();
        await aggregator.StartAsync();
        // CPU from the aggregator's first answer on: the work each server does per vote.
        var sampler = ProcessSampler.For(new Dictionary<string, int>
        {
            ["aggregator"] = aggregator.Pid!.Value,
            ["postgres"] = postgres.PostmasterPid!.Value,
            ["nats-server"] = nats.Pid!.Value,
        });
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var sampledFor = Stopwatch.StartNew();
        var sampled = sampler.RunAsync(TimeSpan.FromMinutes(16), sampling.Token);
        var shardSources = shards.Select(s => NpgsqlDataSource.Create(s.ConnectionString)).ToList();
        long applied = 0;
        while (applied < voteCount)
        {
            await Task.Delay(100, stop);
            try
            {
                applied = await SumAsync(shardSources, "select coalesce(sum(votes_applied), 0)::bigint from shard_status");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The aggregator has not created the schema yet.
            }

            if (run.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"Only {applied:N0} of {voteCount:N0} votes applied after 15 minutes:\n{aggregator.Log}");
            }
        }

        var seconds = run.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampled;
        var cpuSeconds = sampledFor.Elapsed.TotalSeconds;
        var counted = await SumAsync(shardSources, "select count(*) from votes where status = 'counted'");
        var tallied = await SumAsync(shardSources, "select sum(votes)::bigint from tallies");
        Console.WriteLine($"  [{region}] applied {applied:N0} in {seconds:F1} s (counted rows {counted:N0}, tally sum {tallied:N0})");
        Console.WriteLine($"  [{region}] CPU from the aggregator's first answer: " + string.Join(", ", sampler.Summarize().Select(p =>
            $"{p.Name} {p.AverageCpuPercent / 100:F2} cores" + (p.Name == ProcessSampler.MachineName
                ? $" of {Environment.ProcessorCount}"
                : $" ({p.AverageCpuPercent / 100 * cpuSeconds / voteCount * 1_000_000:F1} µs/vote)"))));
        foreach (var source in shardSources)
        {
            await source.DisposeAsync();
        }

        aggregator.Kill();
        var results = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "perf", "results")).FullName;
        File.Copy(Path.Combine(dir.Path, "aggregator-" + region + ".log"), Path.Combine(results, $"ingest-aggregator-{region}.log"), true);
        Console.WriteLine($"  [{region}] aggregator log with per-batch phase timings: perf/results/ingest-aggregator-{region}.log");
        return voteCount / seconds;
    }

    private static async Task<long> SumAsync(IEnumerable<NpgsqlDataSource> shards, string sql)
    {
        long sum = 0;
        foreach (var shard in shards)
        {
            await using var command = shard.CreateCommand(sql);
            sum += (long)(await command.ExecuteScalarAsync())!;
        }

        return sum;
    }
}
