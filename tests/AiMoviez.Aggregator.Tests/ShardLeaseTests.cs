using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

/// <summary>
/// Aggregator processes on the same shards and regions (a stack of their own per test): each shard is written by the
/// one holding its lease, and the other takes it over when the holder dies or loses its lease; a lane's consumer
/// keeps every delivery whatever its holder's backlog.
/// </summary>
public sealed class ShardLeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly string[] ShardNames = ["shard-1", "shard-2"];
    private readonly Dictionary<string, NatsConnection> _nats = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await TestStack.StartAsync([UsEast, EuWest], shardCount: 2);
        foreach (var region in _stack.Topology.Regions)
        {
            _nats[region.Name] = new NatsConnection(new NatsOpts { Url = region.Nats, ConnectTimeout = TimeSpan.FromSeconds(20) });
        }
    }

    [Fact]
    public async Task Each_shard_has_one_holder_and_a_kill_9_of_it_hands_the_shard_over_within_10_s_applying_every_vote_once()
    {
        var first = await StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url);
        await Eventually.UntilAsync(() => HeldByAsync(first), held => held.Count == 2, Wait, "first aggregator holds both shards");
        var second = await StartAggregatorAsync("aggregator-2", $"http://127.0.0.1:{FreePort.Next()}");
        foreach (var shard in ShardNames)
        {
            Assert.Equal(1, await LeaseSessionsAsync(shard));
        }

        var seasons = ShardNames.ToDictionary(s => s, s => (Number: SeasonOn(s), Id: Guid.NewGuid()));
        var clip = Guid.NewGuid();
        var votes = ShardNames.SelectMany(s => Enumerable.Range(0, 3_000)
            .Select(i => Vote(seasons[s].Number, seasons[s].Id, clip, $"user_{s}_{i}", i % 2 == 0 ? UsEast : EuWest))).ToList();
        var (before, after) = (votes.Where((_, i) => i % 3 != 2).ToList(), votes.Where((_, i) => i % 3 == 2).ToList());
        await PublishManyAsync(before);
        await Eventually.UntilAsync(() => CountedAsync("shard-1", seasons["shard-1"].Id), n => n >= 200, Wait, "load under way");

        // The second instance holds nothing while the first lives: it consumes nothing and writes nothing.
        Assert.Empty(await HeldByAsync(second));
        var killedAt = Stopwatch.GetTimestamp();
        first.Kill();
        var countedAtKill = await CountedAsync("shard-1", seasons["shard-1"].Id);
        await Eventually.UntilAsync(() => HeldByAsync(second), held => held.Count == 2, TimeSpan.FromSeconds(30), "second aggregator takes both shards");
        var takeover = Stopwatch.GetElapsedTime(killedAt);
        Assert.True(takeover < TimeSpan.FromSeconds(10), $"takeover took {takeover}");

        await PublishManyAsync(after);
        foreach (var shard in ShardNames)
        {
            await WaitDrainedAsync(second, seasons[shard].Number, seasons[shard].Id);
        }

        Assert.True(countedAtKill < 3_000, "the kill should land mid-load");
        foreach (var shard in ShardNames)
        {
            Assert.Equal(3_000, await CountedAsync(shard, seasons[shard].Id));
            Assert.Equal(3_000, await ScalarAsync<long>(shard, "select count(*) from votes where season_id = $1 and status = 'counted'", seasons[shard].Id));
            Assert.Equal(3_000, await ScalarAsync<long>(shard, "select sum(votes) from clip_days where season_id = $1", seasons[shard].Id));
            Assert.Equal(1, await LeaseSessionsAsync(shard));
        }

        // The first lease taken loaded the ledger again (the first instance had written both shards); the second found
        // no shard written since but by the second instance itself, and kept it.
        Assert.Equal((1, 1), (Occurrences(second.Log, "Daily ledger loaded again"), Occurrences(second.Log, "Daily ledger kept")));
    }

    private static int Occurrences(string log, string text) => (log.Length - log.Replace(text, "", StringComparison.Ordinal).Length) / text.Length;

    [Fact]
    public async Task Two_instances_started_together_converge_on_one_holder_of_every_shard()
    {
        var started = await Task.WhenAll(
            StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url),
            StartAggregatorAsync("aggregator-2", $"http://127.0.0.1:{FreePort.Next()}"));
        await Eventually.UntilAsync(async () => (await HeldByAsync(started[0])).Count + 10 * (await HeldByAsync(started[1])).Count,
            held => held is 2 or 20, TimeSpan.FromSeconds(30), "one instance holding both shards, the other none");
        foreach (var shard in ShardNames)
        {
            Assert.Equal(1, await LeaseSessionsAsync(shard));
        }
    }

    /// <summary>
    /// The holder's lease session is ended behind its back again and again under load (as when its network to the shard
    /// drops while it keeps running), so the lease moves between two live writers: a writer that has lost the lease has
    /// its batches refused by the shard, never counted beside the new holder's.
    /// </summary>
    [Fact]
    public async Task Two_live_aggregators_never_write_one_shard_at_once_while_its_lease_moves_between_them()
    {
        var first = await StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url);
        await Eventually.UntilAsync(() => HeldByAsync(first), held => held.Count == 2, Wait, "first aggregator holds both shards");
        var second = await StartAggregatorAsync("aggregator-2", $"http://127.0.0.1:{FreePort.Next()}");
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var votes = Enumerable.Range(0, 6_000).Select(i => Vote(number, season, clip, "user_flip_" + i, i % 2 == 0 ? UsEast : EuWest)).ToList();

        var publishing = PublishManyAsync(votes);
        for (var flip = 0; flip < 4; flip++)
        {
            var holder = await Eventually.UntilAsync(() => HolderAsync("shard-1"), h => h.Length > 0, Wait, "a holder of shard-1");
            await ScalarAsync<bool>("shard-1", """
                select bool_and(pg_terminate_backend(l.pid)) from pg_locks l
                where l.locktype = 'advisory' and l.classid::bigint = $1 and l.granted
                """, (long)Shards.ShardLease.ClassKey);
            await Eventually.UntilAsync(() => HolderAsync("shard-1"), h => h.Length > 0 && h != holder, TimeSpan.FromSeconds(20),
                "shard-1 held again by a new session");
            Assert.Equal(1, await LeaseSessionsAsync("shard-1"));
        }

        await publishing;
        var survivor = (await HeldByAsync(first)).Contains("shard-1") ? first : second;
        string drained;
        try
        {
            drained = await WaitDrainedAsync(survivor, number, season);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nfirst:\n{first.Log}\nsecond:\n{second.Log}", e);
        }

        var counted = await CountedAsync("shard-1", season);
        Assert.True(counted == votes.Count, $"{counted} of {votes.Count} counted once the barrier said {drained}; votes by status: "
            + await ScalarAsync<string>("shard-1", "select string_agg(status || coalesce('/' || reason, '') || ' ' || n, ', ') from (select status, reason, count(*) n from votes where season_id = $1 group by 1, 2) s", season)
            + $"\nfirst:\n{first.Log}\nsecond:\n{second.Log}");
        Assert.Equal(votes.Count, await CountedAsync("shard-1", season));
        Assert.Equal(votes.Count, await ScalarAsync<long>("shard-1", "select count(*) from votes where season_id = $1 and status = 'counted'", season));
        Assert.Equal(votes.Count, await ScalarAsync<long>("shard-1", "select sum(votes) from clip_days where season_id = $1", season));
        Assert.Equal(votes.Count, await ScalarAsync<long>("shard-1", "select sum(votes) from voter_days where season_id = $1", season));
    }

    /// <summary>
    /// A holder's own slot resets and vote reviews are in its daily ledger as they commit, as its batches are: when it
    /// takes a lease again (its lease session ended behind its back), no shard was written by anyone else, and it keeps
    /// the ledger rather than loading it again with every writer paused.
    /// </summary>
    [Fact]
    public async Task A_holder_taking_its_lease_again_after_its_own_reset_and_review_keeps_the_daily_ledger()
    {
        var holder = await StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url);
        await Eventually.UntilAsync(() => HeldByAsync(holder), held => held.Count == 2, Wait, "the aggregator holds both shards");
        var (number, season) = (SeasonOn("shard-1"), Guid.NewGuid());
        var votes = Enumerable.Range(0, 20).Select(i => Vote(number, season, Guid.NewGuid(), "user_own_" + i, i % 2 == 0 ? UsEast : EuWest)).ToList();
        await PublishManyAsync(votes);
        await WaitDrainedAsync(holder, number, season);
        var discount = new VoteReviewRequest { Shard = "shard-1", Action = VoteReviewRequest.Discount, VoteIds = [votes[0].VoteId] };
        using (var review = await _http.PostAsJsonAsync(holder.BaseUrl + VoteReviewRequest.Route, discount, ContractsJson.Default.VoteReviewRequest))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, review.StatusCode);
        }

        using (var reset = await _http.PostAsync($"{holder.BaseUrl}/internal/reset?seasonId={season}&seasonNumber={number}&slotPosition=1", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, reset.StatusCode);
        }

        var session = await HolderAsync("shard-1");
        await ScalarAsync<bool>("shard-1", """
            select bool_and(pg_terminate_backend(l.pid)) from pg_locks l
            where l.locktype = 'advisory' and l.classid::bigint = $1 and l.granted
            """, (long)Shards.ShardLease.ClassKey);
        await Eventually.UntilAsync(() => HolderAsync("shard-1"), h => h.Length > 0 && h != session, Wait, "shard-1 held again by a new session");
        await Eventually.UntilAsync(() => Task.FromResult(holder.Log), log => log.Contains("Daily ledger", StringComparison.Ordinal), Wait,
            "the ledger checked for the new lease");

        Assert.Equal((0, 1), (Occurrences(holder.Log, "Daily ledger loaded again"), Occurrences(holder.Log, "Daily ledger kept")));
    }

    /// <summary>
    /// The daily cap spans shards and is kept in each process; the standby loaded it before the holder counted a voter's
    /// votes, so on taking the shards over it loads it again before it applies anything.
    /// </summary>
    [Fact]
    public async Task The_instance_taking_over_counts_the_daily_cap_with_the_votes_its_predecessor_counted()
    {
        var first = await StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url, dailyWeightLimit: 5);
        await Eventually.UntilAsync(() => HeldByAsync(first), held => held.Count == 2, Wait, "first aggregator holds both shards");
        var second = await StartAggregatorAsync("aggregator-2", $"http://127.0.0.1:{FreePort.Next()}", dailyWeightLimit: 5);
        var (before, after) = ((Number: SeasonOn("shard-1"), Id: Guid.NewGuid()), (Number: SeasonOn("shard-2"), Id: Guid.NewGuid()));
        await PublishManyAsync(Enumerable.Range(0, 4).Select(_ => Vote(before.Number, before.Id, Guid.NewGuid(), "user_capped")));
        await WaitDrainedAsync(first, before.Number, before.Id);
        Assert.Equal(4, await CountedAsync("shard-1", before.Id));

        first.Kill();
        await Eventually.UntilAsync(() => HeldByAsync(second), held => held.Count == 2, TimeSpan.FromSeconds(30), "second aggregator takes both shards");
        await PublishManyAsync(Enumerable.Range(0, 3).Select(_ => Vote(after.Number, after.Id, Guid.NewGuid(), "user_capped")));
        await WaitDrainedAsync(second, after.Number, after.Id);

        Assert.Equal(1, await CountedAsync("shard-2", after.Id));
        Assert.Equal(2, await ScalarAsync<long>("shard-2", "select count(*) from votes where season_id = $1 and status = 'rejected'", after.Id));
    }

    /// <summary>
    /// A lane far behind its stream, with the default pull and MaxAckPending, whose writer stalls: the client renews its
    /// pull when the idle heartbeat is missed, and the server may send up to MaxAckPending. None may be dropped on the
    /// way in (a hole stops the lane, which then restarts from its ack floor and, still behind, drops again), so the
    /// whole backlog counts.
    /// </summary>
    [Fact]
    public async Task A_lane_far_behind_its_stream_takes_the_whole_backlog_without_a_hole()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        var votes = Enumerable.Range(0, 25_000).Select(i => Vote(number, season, clip, "user_backlog_" + i)).ToList();
        // The first instance only makes the streams; the backlog builds up while no aggregator runs, as across a restart.
        var first = await StartAggregatorAsync("aggregator-1", _stack.Topology.Aggregator.Url);
        first.Kill();
        await PublishManyAsync(votes);

        // The writer waits out the stall below instead of failing its batch (whose messages would then be NAKed).
        var aggregator = await StartAggregatorAsync("aggregator-2", $"http://127.0.0.1:{FreePort.Next()}", writerLockTimeout: "00:01:00");
        await Eventually.UntilAsync(() => CountedAsync("shard-1", season), n => n > 0, Wait, "backlog under way");
        // The shard stalls the writer, and so the lane, for several of the pull's idle heartbeats: the client renews its
        // pull at each one missed, whatever it holds unread.
        await using (var stall = new NpgsqlConnection(_stack.Shards["shard-1"].ConnectionString("votes")))
        {
            await stall.OpenAsync();
            await using var transaction = await stall.BeginTransactionAsync();
            await using (var lockVotes = new NpgsqlCommand("lock table votes in access exclusive mode", stall, transaction))
            {
                await lockVotes.ExecuteNonQueryAsync();
            }

            await Task.Delay(TimeSpan.FromSeconds(15));
            await transaction.RollbackAsync();
        }

        var drained = await WaitDrainedAsync(aggregator, number, season, TimeSpan.FromMinutes(3));

        var counted = await CountedAsync("shard-1", season);
        Assert.True(counted == votes.Count, $"{counted} of {votes.Count} counted once the barrier said {drained}\n{aggregator.Log}");
        Assert.DoesNotContain("skipped one", aggregator.Log, StringComparison.Ordinal);
        Assert.Equal(votes.Count, await ScalarAsync<long>("shard-1", "select count(*) from votes where season_id = $1 and status = 'counted'", season));
    }

    [Fact]
    public async Task A_pull_smaller_than_half_of_max_ack_pending_stops_the_process_naming_it()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => _stack.StartAggregatorAsync("aggregator-bad-pull",
            $"http://127.0.0.1:{FreePort.Next()}", new Dictionary<string, string?>
            {
                ["Aggregator__PullBatchSize"] = "1000",
                ["Aggregator__MaxAckPending"] = "20000",
            }));
        Assert.Contains("section Aggregator", failure.Message);
        Assert.Contains("PullBatchSize", failure.Message);
    }

    private async Task<ServiceProcess> StartAggregatorAsync(string name, string url, int dailyWeightLimit = 200, string writerLockTimeout = "00:00:05")
    {
        var aggregator = await _stack.StartAggregatorAsync(name, url, new Dictionary<string, string?>
        {
            ["Aggregator__MaxBatchSize"] = "200",
            ["Aggregator__MaxBatchAge"] = "00:00:00.020",
            ["Aggregator__ShardRetryMax"] = "00:00:00.400",
            ["Aggregator__DailyWeightLimit"] = dailyWeightLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Aggregator__WriterLockTimeout"] = writerLockTimeout,
        });
        foreach (var region in _stack.Topology.Regions)
        {
            await Eventually.UntilAsync(async () =>
            {
                await new NatsJSContext(_nats[region.Name]).GetStreamAsync(StreamNames.Votes(region.Name));
                return true;
            }, Wait, "vote stream of " + region.Name);
        }

        return aggregator;
    }

    /// <summary>The shards the aggregator says it holds.</summary>
    private async Task<List<string>> HeldByAsync(ServiceProcess aggregator)
    {
        var json = await _http.GetStringAsync(aggregator.BaseUrl + "/internal/leases");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Where(e => e.GetProperty("held").GetBoolean())
            .Select(e => e.GetProperty("shard").GetString()!).ToList();
    }

    /// <summary>The session holding the shard's lease (application name and backend), as the shard's pg_locks say; empty when none.</summary>
    private Task<string> HolderAsync(string shard) => ScalarAsync<string>(shard, """
        select coalesce((select a.application_name || ' #' || l.pid from pg_locks l join pg_stat_activity a using (pid)
            where l.locktype = 'advisory' and l.granted and l.classid::bigint = $1), '')
        """, (long)Shards.ShardLease.ClassKey);

    private Task<long> LeaseSessionsAsync(string shard) => ScalarAsync<long>(shard,
        "select count(*) from pg_locks where locktype = 'advisory' and granted and classid::bigint = $1", (long)Shards.ShardLease.ClassKey);

    private Task<long> CountedAsync(string shard, Guid season) =>
        ScalarAsync<long>(shard, "select coalesce(sum(votes), 0) from tallies where season_id = $1", season);

    private async Task<T> ScalarAsync<T>(string shard, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(_stack.Shards[shard].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> WaitDrainedAsync(ServiceProcess aggregator, int seasonNumber, Guid seasonId, TimeSpan? wait = null) =>
        await Eventually.UntilAsync(() => _http.GetStringAsync($"{aggregator.BaseUrl}{BarrierRoutes.Barrier}?seasonId={seasonId}&seasonNumber={seasonNumber}"),
            json => JsonSerializer.Deserialize(json, ContractsJson.Default.BarrierStatus)!.Drained, wait ?? Wait, $"barrier of season {seasonNumber}");

    private async Task PublishManyAsync(IEnumerable<VoteCast> votes)
    {
        var map = new ShardMap(_stack.Topology);
        foreach (var chunk in votes.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(async vote =>
            {
                var js = new NatsJSContext(_nats[vote.Region]);
                var subject = Subjects.VoteCast(vote.Region, map.LaneFor(vote.SeasonNumber));
                var payload = JsonSerializer.SerializeToUtf8Bytes(vote, ContractsJson.Default.VoteCast);
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        (await js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = vote.VoteId.ToString() })).EnsureSuccess();
                        return;
                    }
                    catch (NatsJSPublishNoResponseException) when (attempt < 5)
                    {
                    }
                }
            }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _nats.Values)
        {
            await connection.DisposeAsync();
        }

        _http.Dispose();
        await _stack.DisposeAsync();
    }
}
