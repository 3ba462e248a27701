using System.Diagnostics;
using System.Globalization;
using AiMoviez.Aggregator;
using AiMoviez.Aggregator.Shards;
using AiMoviez.LocalServers;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Stack;
using Npgsql;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// Core's leaderboard rollup alone: a catalog PostgreSQL, one vote shard and core as a real process (the Release build
/// the benchmark's own build makes). The benchmark writes the shard's day tables and day_changes as the aggregator does,
/// one batch every MaxBatchAge (the aggregator's default) at a fixed vote rate, with the votes shaped like <c>./aimoviez bench
/// sustained</c>: 12 clips of one creator, the hot one taking 30 %, each clip walking the voters with its own cursor.
/// It waits until the rollup has caught up with every change, then prints the CPU that core and the catalog
/// PostgreSQL spent per vote from the first batch to that point, and checks the totals against the shard's rows.
/// </summary>
public static class RollupBenchmark
{
    private static readonly TimeSpan BatchEvery = new AggregatorOptions().MaxBatchAge;

    private const int ClipCount = 12;

    private const double HotShare = 0.3;

    /// <param name="explain">Logs the plan (EXPLAIN ANALYZE) of every catalog statement that runs 50 ms or more into perf/results/rollup-catalog.log.</param>
    public static async Task RunAsync(int rate, int seconds, TimeSpan rollupInterval, bool explain, CancellationToken stop)
    {
        await using var stack = await TestStack.StartAsync(regions: ["us-east"], shardCount: 1);
        if (explain)
        {
            await using var admin = new NpgsqlConnection(stack.Catalog.ConnectionString("catalog"));
            await admin.OpenAsync(stop);
            foreach (var setting in new[]
            {
                "load 'auto_explain'", "alter system set session_preload_libraries = 'auto_explain'", "alter system set auto_explain.log_min_duration = '50ms'",
                "alter system set auto_explain.log_analyze = on", "alter system set auto_explain.log_nested_statements = on",
                "select pg_reload_conf()",
            })
            {
                await using var command = new NpgsqlCommand(setting, admin);
                await command.ExecuteNonQueryAsync(stop);
            }
        }

        var shard = stack.Shards.Values.Single();
        var shardConnection = shard.ConnectionString("votes");
        await using (var dataSource = NpgsqlDataSource.Create(shardConnection))
        {
            await ShardSchema.EnsureAsync(dataSource, stop);
        }

        await using var core = await stack.StartCoreAsync(new Dictionary<string, string?>
        {
            ["Leaderboards__RollupInterval"] = rollupInterval.ToString("c", CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await core.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await using var catalog = NpgsqlDataSource.Create(stack.Catalog.ConnectionString("catalog"));
        await using var shardSource = NpgsqlDataSource.Create(shardConnection);
        await using var leaderboards = new LeaderboardProbe(stack.Catalog.ConnectionString("catalog"), shardConnection, stack.Shards.Keys.Single());
        // The first pass reads the empty tables whole and takes its positions.
        await UntilAsync(async () => await ScalarAsync(catalog, "select count(*) from leaderboard_positions") == 3, TimeSpan.FromSeconds(60), stop);

        var votes = rate * seconds;
        Console.WriteLine($"Rollup benchmark: {votes:N0} votes at {rate:N0}/s, one batch every {BatchEvery.TotalMilliseconds} ms, " +
            $"rollup every {rollupInterval.TotalSeconds} s; {Environment.ProcessorCount} cores; servers in {stack.Dir.Path}");
        // Unmeasured: core's code paths are compiled (and recompiled by tiered JIT) on their first passes, which a
        // long-running core has long done. Its votes are another season's, with other voters and clips.
        var warmUp = await FeedAsync(shardSource, Math.Min(votes, rate * 5), rate, stop);
        await CaughtUpAsync(leaderboards, stop);
        var sampler = ProcessSampler.For(new Dictionary<string, int>
        {
            ["core"] = core.Pid!.Value,
            ["catalog-postgres"] = stack.Catalog.PostmasterPid!.Value,
            ["shard-postgres"] = shard.PostmasterPid!.Value,
        });
        var before = sampler.CpuNow();
        var clock = Stopwatch.StartNew();
        var fed = await FeedAsync(shardSource, votes, rate, stop);
        var fedIn = clock.Elapsed;
        try
        {
            await CaughtUpAsync(leaderboards, stop);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The rollup did not catch up within 3 minutes of the last batch; core's log:\n{core.Log}");
        }

        var after = sampler.CpuNow();
        var caughtUpIn = clock.Elapsed;

        Console.WriteLine($"  fed {votes:N0} votes ({fed.Voters:N0} voters) in {fedIn.TotalSeconds:F1} s; the rollup caught up " +
            $"{(caughtUpIn - fedIn).TotalSeconds:F1} s after the last batch");
        var perVote = new Dictionary<string, double>();
        foreach (var name in new[] { "catalog-postgres", "core", "shard-postgres" })
        {
            var cpuSeconds = (after.Ticks[name] - before.Ticks[name]) / CpuSnapshot.TicksPerSecond;
            perVote[name] = cpuSeconds / votes * 1_000_000;
            Console.WriteLine($"  {name,-17} {cpuSeconds,7:F2} s CPU  {perVote[name],7:F1} µs/vote");
        }

        Console.WriteLine($"  catalog-postgres + core     {perVote["catalog-postgres"] + perVote["core"],7:F1} µs/vote");
        Console.WriteLine("  catalog leaderboard tables: " + string.Join(", ", await RowsAsync(catalog)));
        if (explain)
        {
            var results = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "perf", "results")).FullName;
            var log = Directory.GetFiles(Path.Combine(stack.Dir.Path, "pg"), "*.log").Single(f => File.ReadAllText(f).Contains("leaderboard", StringComparison.Ordinal));
            File.Copy(log, Path.Combine(results, "rollup-catalog.log"), true);
            Console.WriteLine("  plans of the catalog's slow statements: perf/results/rollup-catalog.log");
        }

        await CheckTotalsAsync(catalog, shardSource, warmUp.Votes + votes, warmUp.Voters + fed.Voters, feeds: 2);
    }

    private sealed record Fed(int Votes, int Voters);

    /// <summary>One aggregator-shaped batch every <see cref="BatchEvery"/>: the day rows' upserts and their day_changes, one transaction.</summary>
    private static async Task<Fed> FeedAsync(NpgsqlDataSource shard, int votes, int rate, CancellationToken stop)
    {
        var random = new Random(19);
        var clips = new ClipDistribution(ClipCount, HotShare);
        var clipIds = Enumerable.Range(0, ClipCount).Select(_ => Guid.NewGuid()).ToArray();
        var creator = Guid.NewGuid();
        var season = Guid.NewGuid();
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var cursors = new int[ClipCount];
        var perBatch = Math.Max(1, (int)(rate * BatchEvery.TotalSeconds));
        await using var connection = await shard.OpenConnectionAsync(stop);
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < votes;)
        {
            var count = Math.Min(perBatch, votes - sent);
            var voterDays = new Dictionary<string, long>(StringComparer.Ordinal);
            var clipDays = new Dictionary<Guid, long>();
            for (var i = 0; i < count; i++)
            {
                var clip = clips.Sample(random);
                // A voter key like the edge's (device_ + 32 hex), one vote per voter and clip.
                var voter = "device_" + tag + cursors[clip]++.ToString("x24", CultureInfo.InvariantCulture);
                voterDays[voter] = voterDays.GetValueOrDefault(voter) + 1;
                clipDays[clipIds[clip]] = clipDays.GetValueOrDefault(clipIds[clip]) + 1;
            }

            await using (var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("begin"),
                    Upsert("voter_days", "voter_key", "text", voterDays.Keys.ToArray(), voterDays.Values.ToArray(), season, day),
                    Upsert("clip_days", "clip_id", "uuid", clipDays.Keys.ToArray(), clipDays.Values.ToArray(), season, day),
                    Upsert("creator_days", "creator_id", "uuid", new[] { creator }, new[] { (long)count }, season, day),
                    Changes("voter_days", voterDays.Keys.ToArray(), season, day),
                    Changes("clip_days", clipDays.Keys.Select(c => c.ToString()).ToArray(), season, day),
                    Changes("creator_days", [creator.ToString()], season, day),
                    new NpgsqlBatchCommand("commit"),
                },
            })
            {
                await batch.ExecuteNonQueryAsync(stop);
            }

            sent += count;
            var due = TimeSpan.FromSeconds((double)sent / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, stop);
            }
        }

        return new Fed(votes, cursors.Max());
    }

    private static NpgsqlBatchCommand Upsert<T>(string table, string column, string type, T[] subjects, long[] votes, Guid season, DateOnly day) =>
        new($"""
            insert into {table} as x ({column}, season_id, utc_day, votes, weight, updated_at)
                select s, $2, $3, v, v, now() from unnest($1::{type}[], $4::bigint[]) as d(s, v)
                on conflict ({column}, season_id, utc_day) do update
                set votes = x.votes + excluded.votes, weight = x.weight + excluded.weight, updated_at = excluded.updated_at
            """)
        {
            Parameters = { new() { Value = subjects }, new() { Value = season }, new() { Value = day }, new() { Value = votes } },
        };

    private static NpgsqlBatchCommand Changes(string table, string[] subjects, Guid season, DateOnly day) =>
        new("""
            insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            values ($1, now(), cardinality($2::text[]), $2, array_fill($3::uuid, array[cardinality($2::text[])]),
                    array_fill($4::date, array[cardinality($2::text[])]))
            """)
        {
            Parameters = { new() { Value = table }, new() { Value = subjects }, new() { Value = season }, new() { Value = day } },
        };

    /// <summary>Waits until the rollup's positions have reached the shard's last change of every day table.</summary>
    private static async Task CaughtUpAsync(LeaderboardProbe leaderboards, CancellationToken stop)
    {
        var limit = TimeSpan.FromMinutes(3);
        if (!await leaderboards.WaitUntilFoldedAsync(await leaderboards.LastChangesAsync(stop), limit, stop))
        {
            throw new TimeoutException($"not reached within {limit}");
        }
    }

    /// <summary>The latest generation's totals (what a first page reads) must equal the shard's rows: every board, period and season key.</summary>
    /// <param name="feeds">Feeds of the shard (each its own season, clips, creator and voters).</param>
    private static async Task CheckTotalsAsync(NpgsqlDataSource catalog, NpgsqlDataSource shard, int votes, int voters, int feeds)
    {
        // What a first page of each period reads: the latest generation's rows whose period is today's (this week's). A
        // core from before catalog migration 7 (AIMOVIEZ_SERVICE_BIN, for A/B runs) keeps a row per period.
        var rowPerPeriod = await ScalarAsync(catalog,
            "select count(*) from information_schema.columns where table_name = 'leaderboard_totals' and column_name = 'period'") > 0;
        await using var command = catalog.CreateCommand(rowPerPeriod ? """
            select t.board::text, t.period, t.season_key = '00000000-0000-0000-0000-000000000000'::uuid, count(*), sum(t.votes)::bigint
            from leaderboard_totals t
            where t.valid_from <= (select max(generation) from leaderboard_generations) and t.valid_to is null and t.votes > 0
            group by 1, 2, 3 order by 1, 2, 3
            """ : """
            select t.board::text, p.period, t.season_key = '00000000-0000-0000-0000-000000000000'::uuid, count(*), sum(p.votes)::bigint
            from leaderboard_totals t
            cross join lateral (values
                ('day', case when t.day_start = current_date then t.day_votes else 0 end),
                ('week', case when t.week_start = date_trunc('week', current_date)::date then t.week_votes else 0 end),
                ('all', t.all_votes)) p(period, votes)
            where t.valid_from <= (select max(generation) from leaderboard_generations) and t.valid_to is null and p.votes > 0
            group by 1, 2, 3 order by 1, 2, 3
            """);
        var expected = new Dictionary<string, int> { ["clips"] = ClipCount * feeds, ["voters"] = voters, ["creators"] = feeds };
        var failures = new List<string>();
        var seen = 0;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                seen++;
                var (board, period, all, subjects, sum) = (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt64(3), reader.GetInt64(4));
                if (sum != votes || subjects != expected[board])
                {
                    failures.Add($"{board}/{period}/{(all ? "all seasons" : "season")}: {subjects:N0} subjects, {sum:N0} votes");
                }
            }
        }

        var distinctVoters = await ScalarAsync(shard, "select count(distinct voter_key) from voter_days");
        if (seen != 18 || failures.Count > 0 || distinctVoters != voters)
        {
            throw new InvalidOperationException($"The totals do not match the shard ({seen} of 18 board/period/season groups; " +
                $"expected {votes:N0} votes, {voters:N0} voters, the shard has {distinctVoters:N0}): {string.Join("; ", failures)}");
        }

        Console.WriteLine($"  totals exact: 3 boards × 3 periods × (season, all seasons) each sum to {votes:N0} votes over the expected subjects");
    }

    private static async Task<string[]> RowsAsync(NpgsqlDataSource catalog)
    {
        await using var command = catalog.CreateCommand("""
            select c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
            from pg_class c where c.relkind = 'r' and c.relname like 'leaderboard%' order by c.relname
            """);
        await using (var analyze = catalog.CreateCommand("analyze"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)} {reader.GetInt64(1):N0} rows {reader.GetInt64(2) / 1024 / 1024.0:F1} MB");
        }

        return [.. rows];
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout}");
            }

            await Task.Delay(100, stop);
        }
    }
}
