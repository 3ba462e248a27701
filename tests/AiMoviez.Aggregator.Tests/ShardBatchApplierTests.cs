using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AiMoviez.Aggregator.Tests;

/// <summary>The shard writer's transaction against a real PostgreSQL, without the rest of the aggregator.</summary>
public sealed class ShardBatchApplierTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("shard-applier");
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private PostgresServer _postgres = null!;
    private ShardDataSources _shards = null!;

    private NpgsqlDataSource Shard => _shards.ByShard["shard-1"];

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync(_dir.Sub("pg"), "votes");
        _shards = new ShardDataSources(new Topology
        {
            Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            CatalogDatabase = _postgres.ConnectionString("votes"),
            Regions = [],
            Shards = [new ShardTopology { Name = "shard-1", ConnectionString = _postgres.ConnectionString("votes") }],
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1, Shards = ["shard-1"] }],
        });
        await ShardSchema.EnsureAsync(Shard, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _shards.DisposeAsync();
        await _postgres.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>
    /// A stale aggregator still running beside its replacement must not count a vote twice nor fail forever, even when
    /// both took the votes for new.
    /// </summary>
    [Fact]
    public async Task Two_writers_applying_the_same_votes_at_once_count_each_vote_once()
    {
        var batch = Batch(Guid.NewGuid(), "device_lock_", 2_000);

        var applied = await Task.WhenAll(ApplyInNewProcessAsync(batch), ApplyInNewProcessAsync(batch));

        Assert.Equal(2_000, applied.Sum(a => a.Plan.CountedVotes));
        Assert.Equal(4_000L, await ScalarAsync("select (select count(*) from votes) + (select sum(votes)::bigint from tallies)"));
    }

    /// <summary>
    /// A batch reads the shard before it takes the writer lock, so its writer's previous batch can still be writing. When
    /// another aggregator process writes in between (here a vote of the same voter for the same clip, from another
    /// region), the batch finds the shard's write count moved, reads again under the lock, and its vote is rejected.
    /// </summary>
    [Fact]
    public async Task A_batch_that_read_the_shard_before_another_writer_wrote_reads_it_again_under_the_lock()
    {
        var season = Guid.NewGuid();
        var clip = Guid.NewGuid();
        var ledger = NewLedger();
        List<(string, VoteStreamEvent)> mine = [(AggregatorFixture.EuWest, AggregatorFixture.Vote(1, season, clip, "device_twice", AggregatorFixture.EuWest, acceptedAt: _now))];
        List<(string, VoteStreamEvent)> theirs = [(AggregatorFixture.UsEast, AggregatorFixture.Vote(1, season, clip, "device_twice", AggregatorFixture.UsEast, acceptedAt: _now))];
        var stillWriting = BatchTurn.Alone([]);
        await using var applier = NewApplier(ledger);

        var applying = applier.ApplyAsync(mine, VoteIds(mine), _ => null, stillWriting.Next(mine.Select(m => m.Item2)), CancellationToken.None);
        // Decided (its weight reserved in this process's ledger) and copied: it waits for the batch before to commit.
        while (ledger.Get("device_twice", DateOnly.FromDateTime(_now.UtcDateTime)) == 0 && !applying.IsCompleted)
        {
            await Task.Delay(10);
        }

        var other = await ApplyInNewProcessAsync(theirs);
        stillWriting.Finish();
        var applied = await applying;

        Assert.Equal(1, other.Plan.CountedVotes);
        Assert.Equal(0, applied.Plan.CountedVotes);
        Assert.Equal(ErrorCodes.AlreadyVoted, Assert.Single(applied.Plan.Decisions).Decision.Reason);
        Assert.Equal(1L, await ScalarAsync("select sum(votes)::bigint from tallies"));
        Assert.Equal(2L, await ScalarAsync("select writes from shard_status"));
        Assert.Equal(0, ledger.Get("device_twice", DateOnly.FromDateTime(_now.UtcDateTime)));
    }

    /// <summary>
    /// The writer's two appliers: the next batch has a vote of the same voter for the same clip, so it reads the shard
    /// only once the batch before has committed, and its vote is rejected rather than counted twice.
    /// </summary>
    [Fact]
    public async Task A_batch_sharing_a_voter_with_the_batch_before_reads_after_that_batch_commits()
    {
        var season = Guid.NewGuid();
        var clip = Guid.NewGuid();
        var day = DateOnly.FromDateTime(_now.UtcDateTime);
        var ledger = NewLedger();
        List<(string, VoteStreamEvent)> first = [(AggregatorFixture.EuWest, AggregatorFixture.Vote(1, season, clip, "device_pipelined", AggregatorFixture.EuWest, acceptedAt: _now))];
        List<(string, VoteStreamEvent)> second = [(AggregatorFixture.UsEast, AggregatorFixture.Vote(1, season, clip, "device_pipelined", AggregatorFixture.UsEast, acceptedAt: _now))];
        var stillWriting = BatchTurn.Alone([]);
        var firstTurn = stillWriting.Next(first.Select(m => m.Item2));
        var secondTurn = firstTurn.Next(second.Select(m => m.Item2));
        await using var firstApplier = NewApplier(ledger);
        await using var secondApplier = NewApplier(ledger);

        var applyingFirst = firstApplier.ApplyAsync(first, VoteIds(first), _ => null, firstTurn, CancellationToken.None);
        while (ledger.Get("device_pipelined", day) == 0 && !applyingFirst.IsCompleted)
        {
            await Task.Delay(10);
        }

        var applyingSecond = secondApplier.ApplyAsync(second, VoteIds(second), _ => null, secondTurn, CancellationToken.None);
        stillWriting.Finish();
        var applied = await applyingFirst;
        firstTurn.Finish();
        var appliedSecond = await applyingSecond;
        secondTurn.Finish();

        Assert.Equal(1, applied.Plan.CountedVotes);
        Assert.Equal(ErrorCodes.AlreadyVoted, Assert.Single(appliedSecond.Plan.Decisions).Decision.Reason);
        Assert.Equal(1L, await ScalarAsync("select sum(votes)::bigint from tallies"));
        Assert.Equal(1, ledger.Get("device_pipelined", day));
        Assert.Equal(2L, await ScalarAsync("select writes from shard_status"));
    }

    /// <summary>
    /// Another writer that keeps the writer lock (here a transaction left open) makes the batch fail after the lock
    /// timeout, with nothing written and its day totals given back, rather than wait forever; it applies once the lock is free.
    /// </summary>
    [Fact]
    public async Task A_batch_waiting_longer_than_the_lock_timeout_for_the_writer_lock_fails_and_applies_later()
    {
        var batch = Batch(Guid.NewGuid(), "device_locked_", 10);
        var ledger = NewLedger();
        await using var applier = NewApplier(ledger, lockTimeout: TimeSpan.FromMilliseconds(200));
        await using var other = await Shard.OpenConnectionAsync();
        await using var holding = await other.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(ShardSchema.WriterLockSql, other, holding))
        {
            await take.ExecuteNonQueryAsync();
        }

        var failed = await Assert.ThrowsAsync<PostgresException>(() => applier.ApplyAsync(batch, VoteIds(batch), _ => null, BatchTurn.Alone([]), CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, failed.SqlState);
        Assert.Equal(0L, await ScalarAsync("select count(*) from votes"));
        Assert.Equal(0, ledger.Get("device_locked_0", DateOnly.FromDateTime(_now.UtcDateTime)));

        await holding.RollbackAsync();
        var applied = await applier.ApplyAsync(batch, VoteIds(batch), _ => null, BatchTurn.Alone([]), CancellationToken.None);
        Assert.Equal(10, applied.Plan.CountedVotes);
    }

    /// <summary>An edge that published a vote again after the stream's duplicate window: JetStream delivers it as new.</summary>
    [Fact]
    public async Task A_stored_vote_delivered_as_new_counts_once_and_the_next_batches_go_on()
    {
        var season = Guid.NewGuid();
        var first = Batch(season, "device_again_", 1_000);
        var later = Batch(season, "device_after_", 1_000);
        await using var applier = NewApplier(NewLedger());
        await applier.ApplyAsync(first, VoteIds(first), _ => null, BatchTurn.Alone([]), CancellationToken.None);

        var again = await applier.ApplyAsync(first, VoteIds(first), _ => null, BatchTurn.Alone([]), CancellationToken.None);
        var after = await applier.ApplyAsync(later, VoteIds(later), _ => null, BatchTurn.Alone([]), CancellationToken.None);

        Assert.Equal(0, again.Plan.CountedVotes);
        Assert.All(again.Plan.Decisions, d => Assert.Equal(VoteStatuses.Counted, d.Decision.Status));
        Assert.Equal(1_000, after.Plan.CountedVotes);
        Assert.Equal(2_000L, await ScalarAsync("select count(*) from votes"));
        Assert.Equal(2_000L, await ScalarAsync("select sum(votes)::bigint from tallies"));
        Assert.Equal(2_000L, await ScalarAsync("select sum(weight)::bigint from voter_days"));
    }

    /// <summary>
    /// The votes table grows by millions while a slot closes, faster than autovacuum analyzes it: on statistics from when
    /// it was small, plans made for a batch's keys read the whole table to find its voters. The writer's plans do not
    /// follow the statistics.
    /// </summary>
    [Fact]
    public async Task The_writer_finds_a_batchs_voters_by_index_on_statistics_from_a_small_table()
    {
        var season = Guid.NewGuid();
        await using var applier = NewApplier(NewLedger());
        await ExecuteAsync("alter table votes set (autovacuum_enabled = false)");
        var small = Batch(season, "device_small_", 100);
        await applier.ApplyAsync(small, VoteIds(small), _ => null, BatchTurn.Alone([]), CancellationToken.None);
        await ExecuteAsync("analyze votes");
        for (var i = 0; i < 6; i++)
        {
            var batch = Batch(season, $"device_grow_{i}_", 10_000);
            await applier.ApplyAsync(batch, VoteIds(batch), _ => null, BatchTurn.Alone([]), CancellationToken.None);
        }

        var voters = Batch(season, "device_grow_5_", 10_000).Select(m => ((VoteCast)m.Item2).VoterKey).ToArray();

        var writers = await ExplainVotersLookupAsync(WriterConnection.SessionSettings, voters, season);
        var plannedForTheKeys = await ExplainVotersLookupAsync(
            WriterConnection.SessionSettings + "; set plan_cache_mode = force_custom_plan", voters, season);

        Assert.Contains("\"Index Name\": \"votes_counted_by_voter_slot\"", writers);
        Assert.DoesNotContain("Seq Scan", writers);
        // What the writer's session avoids: the same lookup planned for its keys on these statistics reads the table.
        Assert.Contains("Seq Scan", plannedForTheKeys);
    }

    /// <summary>
    /// Core's leaderboard rollup follows day_changes: each batch records the keys of every day row it changed, and a later
    /// batch deletes the changes older than the retention and raises the floor past them.
    /// </summary>
    [Fact]
    public async Task Each_batch_records_the_day_rows_it_changed_and_changes_past_the_retention_are_pruned()
    {
        var season = Guid.NewGuid();
        var first = Batch(season, "device_changes_a_", 300);
        var second = Batch(season, "device_changes_b_", 200);
        var time = new AdvancedTime();
        await using var applier = NewApplier(NewLedger(), dayChangesRetention: TimeSpan.FromSeconds(1), time: time);

        await applier.ApplyAsync(first, VoteIds(first), _ => null, BatchTurn.Alone([]), CancellationToken.None);

        Assert.Equal(300L, await ScalarAsync("select sum(key_count)::bigint from day_changes where day_table = 'voter_days'"));
        Assert.Equal(0L, await ScalarAsync("""
            select count(*) from voter_days v
            where not exists (select from day_changes c, unnest(c.subjects, c.season_ids, c.days) as k(subject, season_id, utc_day)
                              where c.day_table = 'voter_days' and (k.subject, k.season_id, k.utc_day) = (v.voter_key, v.season_id, v.utc_day))
            """));
        Assert.Equal(2L, await ScalarAsync("select count(*) from day_changes where day_table in ('creator_days', 'clip_days')"));
        var firstLastSeq = await ScalarAsync("select max(seq) from day_changes");
        Assert.Equal(0L, await ScalarAsync("select day_changes_floor from shard_status"));

        time.Ahead = TimeSpan.FromSeconds(5);
        await applier.ApplyAsync(second, VoteIds(second), _ => null, BatchTurn.Alone([]), CancellationToken.None);

        Assert.Equal(200L, await ScalarAsync("select sum(key_count)::bigint from day_changes where day_table = 'voter_days'"));
        Assert.Equal(firstLastSeq, await ScalarAsync("select day_changes_floor from shard_status"));
        Assert.True(await ScalarAsync("select min(seq) from day_changes") > firstLastSeq);
    }

    /// <summary>A shard created by an older aggregator (schema version 1) is upgraded at start and keeps its votes.</summary>
    [Fact]
    public async Task A_version_1_shard_gets_bytewise_voter_keys_and_keeps_its_votes()
    {
        await using (var applier = NewApplier(NewLedger()))
        {
            await applier.ApplyAsync(Batch(Guid.NewGuid(), "device_v1_", 10), LookUpEveryVote, _ => null, BatchTurn.Alone([]), CancellationToken.None);
        }

        // Back to what version 1 created: voter keys in the database's default collation.
        await using (var downgrade = Shard.CreateCommand("""
            alter table votes alter column voter_key type text collate "default";
            alter table voter_days alter column voter_key type text collate "default";
            delete from schema_migrations where version >= 2
            """))
        {
            await downgrade.ExecuteNonQueryAsync();
        }

        await ShardSchema.EnsureAsync(Shard, CancellationToken.None);
        await ShardSchema.EnsureAsync(Shard, CancellationToken.None);

        Assert.Equal(2L, await ScalarAsync("""
            select count(*) from information_schema.columns
            where table_name in ('votes', 'voter_days') and column_name = 'voter_key' and collation_name = 'C'
            """));
        Assert.Equal(10L, await ScalarAsync("select count(*) from schema_migrations"));
        Assert.Equal(10L, await ScalarAsync("select count(*) from votes"));
        Assert.Equal(10L, await ScalarAsync("select count(*) from voter_days where voter_key >= 'device_v1_'"));
    }

    private List<(string, VoteStreamEvent)> Batch(Guid season, string voterPrefix, int count) => Enumerable.Range(0, count)
        .Select(i => (AggregatorFixture.EuWest, (VoteStreamEvent)AggregatorFixture.Vote(1, season, Guid.Empty, voterPrefix + i, AggregatorFixture.EuWest, acceptedAt: _now)))
        .ToList();

    private static readonly IReadOnlySet<Guid> LookUpEveryVote = new HashSet<Guid>();

    /// <summary>
    /// A voter's newest change wins, by its sequence: within a batch, against a redelivery of the same change, and against
    /// an older change arriving late (from another region); the counts follow the rows that changed, withdrawals included.
    /// </summary>
    [Fact]
    public async Task Genre_votes_keep_each_voters_newest_change_and_count_it_once()
    {
        var aComedy = Genre("user_a", "Comedy", 1);
        var aHorror = Genre("user_a", "Horror", 2);
        var bHorror = Genre("user_b", "Horror", 5);
        await using var applier = NewApplier(NewLedger());

        var first = await applier.ApplyAsync([("us-east", bHorror), ("us-east", aHorror), ("eu-west", aComedy)], new HashSet<Guid>(), _ => null,
            BatchTurn.Alone([]), CancellationToken.None);
        var second = await applier.ApplyAsync([("us-east", aHorror), ("eu-west", aComedy), ("us-east", Genre("user_b", null, 6)),
            ("us-east", Genre("user_c", "Action", 1))], new HashSet<Guid>(), _ => null, BatchTurn.Alone([]), CancellationToken.None);

        Assert.Equal(new Dictionary<string, long> { ["Horror"] = 2 }, first.Genres!.Counts);
        Assert.Equal(new Dictionary<string, long> { ["Horror"] = 1, ["Action"] = 1 }, second.Genres!.Counts);
        Assert.Equal(3L, await ScalarAsync("select count(*) from genre_votes"));
        Assert.Equal(2L, await ScalarAsync("select count(*) from genre_votes where genre is not null"));
    }

    /// <summary>
    /// Random streams (<see cref="VoteStreams"/>) cut into batches anywhere and applied to the shard by the writer, which
    /// reads for each batch only the votes and voters it names: the decisions, the stored votes' statuses, the tombstones,
    /// every count row and the day totals are what the rules applied one message at a time leave; and after a slot's
    /// reset, what they leave without that slot's votes, with every vote not revoked queued for its region to give back.
    /// </summary>
    [Fact]
    public async Task Any_cut_of_a_stream_applied_to_the_shard_and_a_slot_reset_store_what_the_rules_one_message_at_a_time_decide()
    {
        await VoteStreams.WithCuts.SampleAsync(async (steps, cuts) =>
        {
            var universe = new StreamUniverse();
            var stream = VoteStreams.Messages(steps, universe);
            var model = new OneAtATime(universe, stream);
            var ledger = new DailyLedger();
            ledger.StartFresh(VoteStreams.Today);
            ledger.Load(LedgerRows.Of(universe.EarlierToday.Select(t => (t.Key.Item1, t.Key.Item2, t.Value))));
            await using var applier = NewApplier(ledger, dailyWeightLimit: VoteStreams.DailyWeightLimit);
            var decisions = new List<(string, VoteDecision)>();
            var delivered = new HashSet<Guid>();
            foreach (var batch in VoteStreams.Batches(stream, cuts))
            {
                var firstDelivered = batch.Select(m => m.Message).OfType<VoteCast>().Select(c => c.VoteId).Where(id => !delivered.Contains(id)).ToHashSet();
                var applied = await applier.ApplyAsync(batch, firstDelivered, _ => null, BatchTurn.Alone([]), CancellationToken.None);
                delivered.UnionWith(firstDelivered);
                decisions.AddRange(applied.Plan.Decisions);
            }

            Assert.Equal(model.Decisions, decisions);
            await AssertShardAsync();

            // An admin resets season A's slot 1: its votes and counts go, the ones to give back are queued for the edges.
            var (undos, removed) = model.ResetSlot(universe.SeasonA, 1);
            var (removedByShard, _) = await SlotReset.ExecuteAsync(Shard, "shard-1", universe.SeasonA, 1, CancellationToken.None);
            Assert.Equal(removed, new SortedDictionary<(string, DateOnly), long>(removedByShard.ToDictionary(r => (r.VoterKey, r.Day), r => r.Weight)));
            foreach (var (voterKey, day, weight) in removedByShard)
            {
                ledger.Add(voterKey, day, -weight);
            }

            Assert.Equal(undos, new SortedSet<(string, Guid)>((await RowsAsync(
                "select vote_id, region from reset_undos where season_id = any($1)", [universe.SeasonA, universe.SeasonB],
                r => (r.GetGuid(0), r.GetString(1)))).Select(u => (u.Value, u.Key))));
            await AssertShardAsync();

            async Task AssertShardAsync()
            {
                Guid[] seasons = [universe.SeasonA, universe.SeasonB];
                Assert.Equal(model.Outcomes, new SortedDictionary<Guid, string>(await RowsAsync(
                    "select vote_id, status, reason from votes where season_id = any($1)", seasons,
                    r => (r.GetGuid(0), VoteStreams.Outcome(r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2))))));
                Assert.Equal(model.Tombstones.Order(), (await RowsAsync("select vote_id, 0 from vote_tombstones where season_id = any($1)", seasons,
                    r => (r.GetGuid(0), 0))).Keys.Order());
                Assert.Equal(model.CountRows, new SortedDictionary<string, Delta>((await RowsAsync("""
                    select 'tally', season_id::text, slot_position::text, clip_id::text, votes, weighted_score from tallies where season_id = any($1)
                    union all select 'voter day', voter_key, season_id::text, utc_day::text, votes, weight from voter_days where season_id = any($1)
                    union all select 'creator day', creator_id::text, season_id::text, utc_day::text, votes, weight from creator_days where season_id = any($1)
                    union all select 'clip day', clip_id::text, season_id::text, utc_day::text, votes, weight from clip_days where season_id = any($1)
                    """, seasons, r => (VoteStreams.Row(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)), new Delta(r.GetInt64(4), r.GetInt64(5)))))
                    .Where(row => row.Value != default).ToDictionary()));
                var days = new[] { VoteStreams.Today, VoteStreams.Today.AddDays(1) };
                Assert.Equal(model.DayTotals, DayTotals(ledger));

                // What a lease take-over loads from the shard's day rows (a row per voter, season and day) adds up to
                // the same totals.
                var reloaded = new DailyLedger();
                reloaded.Load(LedgerRows.Of(universe.EarlierToday.Select(t => (t.Key.Item1, t.Key.Item2, t.Value))));
                reloaded.Load(await LedgerDays.ReadAsync(Shard, "shard-1", days[0], days[1], CancellationToken.None));
                Assert.Equal(model.DayTotals, DayTotals(reloaded));

                SortedDictionary<(string, DateOnly), long> DayTotals(DailyLedger totals) => new(Enumerable.Range(0, 3)
                    .SelectMany(v => days.Select(d => (universe.Voter(v), d)))
                    .Where(k => totals.Get(k.Item1, k.d) != 0)
                    .ToDictionary(k => (k.Item1, k.d), k => totals.Get(k.Item1, k.d)));
            }
        }, iter: 40, threads: 1, print: VoteStreams.Print);
    }

    private async Task<Dictionary<TKey, TValue>> RowsAsync<TKey, TValue>(string sql, Guid[] seasons, Func<NpgsqlDataReader, (TKey, TValue)> read)
        where TKey : notnull
    {
        await using var command = Shard.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = seasons });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<TKey, TValue>();
        while (await reader.ReadAsync())
        {
            var (key, value) = read(reader);
            rows.Add(key, value);
        }

        return rows;
    }

    private GenreVoteChanged Genre(string voterKey, string? genre, long sequence) => new()
    {
        ChangeId = Guid.NewGuid(), VoterKey = voterKey, Genre = genre, Sequence = sequence, Region = "us-east", ChangedAt = _now,
    };

    private static HashSet<Guid> VoteIds(List<(string, VoteStreamEvent)> batch) => batch.Select(m => ((VoteCast)m.Item2).VoteId).ToHashSet();

    /// <summary>Each process has its own ledger, as two aggregators would.</summary>
    private async Task<AppliedBatch> ApplyInNewProcessAsync(List<(string, VoteStreamEvent)> batch)
    {
        await using var applier = NewApplier(NewLedger());
        return await applier.ApplyAsync(batch, VoteIds(batch), _ => null, BatchTurn.Alone([]), CancellationToken.None);
    }

    private DailyLedger NewLedger()
    {
        var ledger = new DailyLedger();
        ledger.StartFresh(DateOnly.FromDateTime(_now.UtcDateTime));
        return ledger;
    }

    private ShardBatchApplier NewApplier(DailyLedger ledger, TimeSpan? dayChangesRetention = null, TimeSpan? lockTimeout = null,
        TimeProvider? time = null, int dailyWeightLimit = 1_000_000) =>
        new("shard-1", Shard, ledger, new LedgerDays(ledger, _shards), dailyWeightLimit, dayChangesRetention ?? TimeSpan.FromDays(2),
            lockTimeout ?? TimeSpan.FromSeconds(30), NullLogger.Instance, time ?? TimeProvider.System);

    /// <summary>The system clock moved on by <see cref="Ahead"/>: time passes for the code under test without the test waiting.</summary>
    private sealed class AdvancedTime : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Ahead;
    }

    /// <summary>The plan of the writer's lookup of a batch's voters in a session set up by <paramref name="settings"/>.</summary>
    private async Task<string> ExplainVotersLookupAsync(string settings, string[] voters, Guid season)
    {
        await using var connection = await Shard.OpenConnectionAsync();
        await using (var setup = new NpgsqlCommand(
            $"{settings}; prepare voters (text[], uuid[], int[]) as {BatchState.LoadCountedVotesOfVoters}", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        // EXECUTE takes no parameters of the statement around it; the keys are plain tokens, safe in an array literal.
        await using var explain = new NpgsqlCommand(
            $"explain (format json) execute voters('{{{string.Join(',', voters)}}}', '{{{season}}}', '{{1}}')", connection);
        return (string)(await explain.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = Shard.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = Shard.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
