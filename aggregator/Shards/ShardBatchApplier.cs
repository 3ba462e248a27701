using System.Diagnostics;
using System.Threading.Channels;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// What a committed batch changed: its plan, the fresh tallies of the slots it touched, and the genre vote's counts when
/// it carried genre votes.
/// </summary>
internal sealed record AppliedBatch(BatchPlan Plan, IReadOnlyList<SlotTally> Tallies, DateTimeOffset CommittedAt, GenreTally? Genres = null);

/// <summary>
/// Applies one batch to one shard in ONE transaction: read the rules' state for the batch's votes and voters, decide
/// in delivery order, binary COPY the votes the shard does not have yet into votes, then take the shard's writer lock
/// and apply the batch's net change per tally and day row with one set-based statement. A redelivered vote is found
/// by id and changes nothing; a vote id stored twice would break the primary key and fail the whole batch, never
/// count twice, which is what lets first deliveries skip the lookup by id. The shard's writer keeps two, each with
/// its connection, so one batch reads and copies while the one before writes and commits (<see cref="BatchTurn"/>);
/// the shard's write count, read with the state and counted under the lock, shows whether another writer (a second
/// aggregator process) wrote in between, and the batch is then read again under the lock.
/// </summary>
internal sealed class ShardBatchApplier(string shard, NpgsqlDataSource dataSource, DailyLedger ledger, LedgerDays ledgerDays, int dailyWeightLimit,
    TimeSpan dayChangesRetention, TimeSpan lockTimeout, ILogger logger, TimeProvider time, ShardLease? lease = null) : IAsyncDisposable
{
    // The prune scans day_changes, so it runs with a batch at most this often (or as often as the retention, if shorter).
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private const string Columns =
        "vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags, multi_vote, accepted_at, utc_day, status, reason, applied_at";

    private const string LoadVotesById = """
        select vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, utc_day, status, reason
        from votes where vote_id = any($1)
        """;

    private const string ReadWrites = "select coalesce((select writes from shard_status where shard = $1), 0)";

    private const string LoadTombstones = "select vote_id from vote_tombstones where vote_id = any($1)";

    // Key lists rather than a join with the batch's keys: each is an index condition whatever the statistics say. A join
    // planned on stale statistics (the table grows faster than autovacuum analyzes it) hashed the whole index instead:
    // 120 ms against 18 ms per 10,000 voters at 300,000 votes, and worse as the table grows. The lists may admit a
    // voter's votes in another of the batch's slots; the rules look up exact (voter, season, slot) keys.
    internal const string LoadCountedVotesOfVoters = """
        select vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, utc_day, status, reason
        from votes
        where voter_key = any($1) and season_id = any($2) and slot_position = any($3) and status = 'counted'
        """;

    // The rules already know which votes are new (the writer lock keeps the shard as they read it), so new votes are
    // copied straight into votes and the count tables take the batch's net change per row, computed in this process.
    private static readonly string ApplyDeltas = $"""
        with t as (
            insert into tallies as x (season_id, slot_position, clip_id, votes, weighted_score, updated_at)
            select d.*, now() from unnest($1::uuid[], $2::int[], $3::uuid[], $4::bigint[], $5::bigint[]) as d
            on conflict (season_id, slot_position, clip_id) do update
            set votes = x.votes + excluded.votes, weighted_score = x.weighted_score + excluded.weighted_score, updated_at = excluded.updated_at),
        vd as ({AddToDays("voter_days", "voter_key", "text", 6)}),
        cd as ({AddToDays("creator_days", "creator_id", "uuid", 11)}),
        kd as ({AddToDays("clip_days", "clip_id", "uuid", 16)}),
        dc as ({RecordDayChanges(22, ("voter_days", 6), ("creator_days", 11), ("clip_days", 16))})
        update votes set status = 'revoked', reason = null, applied_at = now() where vote_id = any($21)
        """;

    private const string AddTombstones = """
        insert into vote_tombstones (vote_id, season_id, slot_position, revoked_at)
        select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[]) on conflict (vote_id) do nothing
        """;

    private const string AddViews = """
        with fresh as (
            insert into view_batches (batch_id, season_id, applied_at)
            select distinct b, s, now() from unnest($1::uuid[], $2::uuid[]) as u(b, s)
            on conflict (batch_id) do nothing returning batch_id)
        insert into clip_views as x (season_id, clip_id, views)
        select v.season_id, v.clip_id, sum(v.views) from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[]) as v(batch_id, season_id, clip_id, views)
        join fresh using (batch_id) group by 1, 2
        on conflict (season_id, clip_id) do update set views = x.views + excluded.views
        """;

    // Last writer wins per voter by (sequence, change id), so a redelivered change, or one that arrives after a newer one
    // (from another region), changes nothing; the counts take the net change of the rows that did change, read in the
    // statement's snapshot before they changed.
    private const string ApplyGenreVotes = """
        with incoming as (
            select distinct on (voter_key) * from unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::timestamptz[])
                as u(voter_key, genre, sequence, change_id, region, changed_at)
            order by voter_key, sequence desc, change_id desc),
        before as (select g.voter_key, g.genre from genre_votes g join incoming i on i.voter_key = g.voter_key),
        changed as (
            insert into genre_votes as x (voter_key, genre, sequence, change_id, region, changed_at, applied_at)
            select voter_key, genre, sequence, change_id, region, changed_at, now() from incoming
            on conflict (voter_key) do update
            set genre = excluded.genre, sequence = excluded.sequence, change_id = excluded.change_id, region = excluded.region,
                changed_at = excluded.changed_at, applied_at = excluded.applied_at
            where (x.sequence, x.change_id) < (excluded.sequence, excluded.change_id)
            returning x.voter_key, x.genre),
        deltas as (
            select genre, sum(change) as change from (
                select c.genre, 1 as change from changed c where c.genre is not null
                union all
                select b.genre, -1 from before b join changed c on c.voter_key = b.voter_key where b.genre is not null) d
            group by genre having sum(change) <> 0)
        insert into genre_counts as c (genre, votes) select genre, change from deltas
        on conflict (genre) do update set votes = c.votes + excluded.votes
        """;

    /// <summary>The genre vote's counts per genre.</summary>
    public const string ReadGenreCounts = "select genre, votes from genre_counts";

    private const string MarkApplied = """
        insert into shard_status as x (shard, last_applied_at, votes_applied) values ($1, now(), $2)
        on conflict (shard) do update set last_applied_at = now(), votes_applied = x.votes_applied + excluded.votes_applied
        """;

    public const string ReadTallies = """
        select t.season_id, t.slot_position, t.clip_id, t.votes, t.weighted_score, coalesce(cv.views, 0)
        from tallies t
        join unnest($1::uuid[], $2::int[]) as k(season_id, slot_position) on t.season_id = k.season_id and t.slot_position = k.slot_position
        left join clip_views cv on cv.season_id = t.season_id and cv.clip_id = t.clip_id
        order by t.season_id, t.slot_position, t.weighted_score desc, t.votes desc, t.clip_id
        """;

    /// <summary>
    /// The writer's session. Every statement of the writer looks rows up, or writes them, by key lists of up to a batch,
    /// passed as array parameters. Planned for their values (a custom plan, PostgreSQL's choice for a statement run once),
    /// the planner folded each 10,000-element array into the plan and estimated every element against the statistics:
    /// about 15 % of the shard's CPU in the ingest benchmark, and the plans followed the statistics, which lag behind a
    /// table that grows by millions within autovacuum's nap (a whole slot read to find a batch's voters, or a parallel
    /// scan of the table). A generic plan prices a key list as a few probes, so every lookup is an index probe whatever
    /// the statistics say, and no statement is planned against its arrays. The costs stay those of a shard in memory or on
    /// SSD, without parallel workers, for the generic plans' choices.
    /// </summary>
    public const string WriterSessionSettings =
        "set plan_cache_mode = force_generic_plan; set random_page_cost = 1.1; set max_parallel_workers_per_gather = 0";

    private NpgsqlConnection? _connection;

    private DateTimeOffset _nextPruneAt;

    // Set when a vote taken for new was stored already, until a batch that looks every id up finds no such vote again.
    private bool _lookUpEveryVote;

    /// <param name="unseenVotes">
    /// Votes of messages delivered for the first time (<see cref="Ingest.InboundMessage.FirstDelivery"/>): not looked
    /// up by id (in the ingest benchmark, about 1.3 µs less PostgreSQL CPU per vote). Should one be stored already
    /// after all (an edge published it twice, a restart replays what the last process applied), the votes table's key
    /// refuses the batch, which then runs again looking every id up.
    /// </param>
    /// <param name="turn">The batch's place in the shard's pipeline: when it may read, and after which batch it commits.</param>
    public async Task<AppliedBatch> ApplyAsync(IReadOnlyList<(string Region, object Event)> batch, IReadOnlySet<Guid> unseenVotes,
        Func<Guid, int?> latestSlotOf, BatchTurn turn, CancellationToken cancellationToken)
    {
        var lockFirst = false;
        while (true)
        {
            try
            {
                return await ApplyOnceAsync(batch, unseenVotes, latestSlotOf, turn, lockFirst, cancellationToken);
            }
            catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: ShardSchema.VotesKey } && !_lookUpEveryVote)
            {
                _lookUpEveryVote = true;
                logger.LogInformation("Shard {Shard}: a vote delivered for the first time was stored already; looking every vote up", shard);
            }
            catch (Exception e) when (!lockFirst && e is ShardWrittenMeanwhileException or PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected })
            {
                // Another writer (another aggregator process) wrote meanwhile, or copied some of the same votes in
                // another order: read again under the writer lock, as that writer does.
                lockFirst = true;
                logger.LogInformation("Shard {Shard}: another writer wrote since the batch read the shard ({Error}); reading it again under the writer lock",
                    shard, e.Message);
            }
        }
    }

    /// <param name="lockFirst">
    /// Takes the writer lock before reading the shard's state rather than only before writing: after another writer
    /// (another aggregator process) was found to have written between the two.
    /// </param>
    private async Task<AppliedBatch> ApplyOnceAsync(IReadOnlyList<(string Region, object Event)> batch, IReadOnlySet<Guid> unseenVotes,
        Func<Guid, int?> latestSlotOf, BatchTurn turn, bool lockFirst, CancellationToken cancellationToken)
    {
        await ledgerDays.EnsureLoadedAsync(batch.Select(m => m.Event).OfType<VoteCast>()
            .Select(c => DateOnly.FromDateTime(c.AcceptedAt.UtcDateTime)), cancellationToken);
        var connection = await ConnectionAsync(cancellationToken);
        var genres = batch.Select(m => m.Event).OfType<GenreVoteChanged>().ToList();
        BatchPlan? plan = null;
        Task<(HashSet<(Guid, int)> Slots, List<NpgsqlBatchCommand> Commands)>? deciding = null;
        try
        {
            await turn.WaitToReadAsync();
            var started = Stopwatch.GetTimestamp();
            using var span = AggregatorTracing.StartTransaction(shard);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var state = await LoadStateAsync(connection, batch, _lookUpEveryVote ? null : unseenVotes, lockFirst, cancellationToken);
            if (_lookUpEveryVote && !unseenVotes.Any(state.Shard.VotesById.ContainsKey))
            {
                _lookUpEveryVote = false;
            }

            var loaded = Stopwatch.GetTimestamp();

            // The rules decide on another thread and hand over each vote whose row is final, which the COPY sends while
            // the rules go on (they take about 25 ms per 10,000 votes); then that thread groups the deltas and fills the
            // parameter arrays of the write (about 25 ms more) while the shard still inserts rows. Both were on the
            // writer's serial path.
            var final = Channel.CreateUnbounded<NewVote>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var decidedAt = 0L;
            deciding = Task.Run(() =>
            {
                try
                {
                    lock (ledger.Sync)
                    {
                        plan = VoteRules.Decide(batch, state.Shard, ledger, dailyWeightLimit, vote => final.Writer.TryWrite(vote));
                    }
                }
                finally
                {
                    decidedAt = Stopwatch.GetTimestamp();
                    final.Writer.Complete();
                }

                var slots = plan.TouchedSlots.ToHashSet();
                foreach (var season in plan.SeasonsWithViews)
                {
                    if (latestSlotOf(season) is { } slot)
                    {
                        slots.Add((season, slot));
                    }
                }

                return (slots, WriteCommands(plan, slots, genres));
            }, cancellationToken);
            await CopyVotesAsync(connection, final.Reader, hasVotes: batch.Any(m => m.Event is VoteCast), cancellationToken);
            var copied = Stopwatch.GetTimestamp();
            var (slots, commands) = await deciding;
            await turn.WaitToWriteAsync();
            var waited = Stopwatch.GetTimestamp();
            var writes = await FenceAsync(connection, state.Writes, turn.PreviousCommittedWrites, cancellationToken);
            var (tallies, genreCounts) = await WriteAsync(connection, commands, slots, readGenres: genres.Count > 0, cancellationToken);
            var written = Stopwatch.GetTimestamp();
            await transaction.CommitAsync(cancellationToken);
            var committedAt = time.GetUtcNow();
            turn.Committed(writes);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                // Where a batch's time goes, to tune batch size and find the next bottleneck. The COPY runs beside the
                // rules: "rules" ends when the last vote is decided, "copy" when the shard has every row; "wait" is for
                // the batch before to commit.
                logger.LogDebug("Shard {Shard} batch of {Count}: state {State:F1} ms, rules {Rules:F1} ms, copy {Copy:F1} ms, wait {Wait:F1} ms, write {Write:F1} ms, commit {Commit:F1} ms",
                    shard, batch.Count, Stopwatch.GetElapsedTime(started, loaded).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(loaded, decidedAt).TotalMilliseconds, Stopwatch.GetElapsedTime(loaded, copied).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(copied, waited).TotalMilliseconds, Stopwatch.GetElapsedTime(waited, written).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(written).TotalMilliseconds);
            }

            return new AppliedBatch(plan!, tallies.Select(t => t with { AsOf = committedAt }).ToList(), committedAt,
                genreCounts is null ? null : new GenreTally { AsOf = committedAt, Counts = genreCounts });
        }
        catch
        {
            if (deciding is not null)
            {
                // The rules' thread must be done with the plan before its day-total reservations are undone.
                await Task.WhenAny(deciding);
            }

            if (plan is not null)
            {
                lock (ledger.Sync)
                {
                    foreach (var (voterKey, day, weight) in plan.DailyChanges)
                    {
                        ledger.Add(voterKey, day, -weight);
                    }
                }
            }

            await DropConnectionAsync();
            throw;
        }
    }

    /// <summary>
    /// Takes the writer lock and counts this write, then checks that no other writer wrote since the batch read the
    /// shard: the count then is the one read with the state, or, when the previous batch of this writer committed in
    /// between, that batch's. Returns the count after this write.
    /// </summary>
    private async Task<long> FenceAsync(NpgsqlConnection connection, long readWrites, long? previousWrites, CancellationToken cancellationToken)
    {
        var writes = await ShardSchema.LockAndCountWriteAsync(connection, null, shard, cancellationToken);
        // Under the writer lock, so no other process's write can come between this check and this commit.
        if (lease is not null && !await lease.HoldsAsync(connection, cancellationToken))
        {
            throw new ShardLeaseLostException(shard);
        }

        var before = writes - 1;
        if (before != readWrites && !(previousWrites == before && readWrites == before - 1))
        {
            throw new ShardWrittenMeanwhileException();
        }

        return writes;
    }

    /// <param name="unseenVotes">Votes not looked up by id; null to look up every vote.</param>
    /// <returns>The rules' state, and the shard's write count read before it.</returns>
    private async Task<(ShardState Shard, long Writes)> LoadStateAsync(NpgsqlConnection connection, IReadOnlyList<(string Region, object Event)> batch,
        IReadOnlySet<Guid>? unseenVotes, bool lockFirst, CancellationToken cancellationToken)
    {
        var casts = batch.Select(m => m.Event).OfType<VoteCast>().ToList();
        var ids = casts.Select(c => c.VoteId).Concat(batch.Select(m => m.Event).OfType<VoteRevoked>().Select(r => r.VoteId)).Distinct().ToArray();
        var storedIds = unseenVotes is not { Count: > 0 } ? ids : ids.Where(id => !unseenVotes.Contains(id)).ToArray();
        await using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                // First, so a write by another writer after it, even during the reads that follow, is found by the fence.
                new NpgsqlBatchCommand(ReadWrites) { Parameters = { new() { Value = shard } } },
                new NpgsqlBatchCommand(LoadVotesById) { Parameters = { new() { Value = storedIds } } },
                // Every id: a revoke may have come before its vote, even before the vote's first delivery.
                new NpgsqlBatchCommand(LoadTombstones) { Parameters = { new() { Value = ids } } },
                new NpgsqlBatchCommand(LoadCountedVotesOfVoters)
                {
                    Parameters =
                    {
                        new() { Value = casts.Select(c => c.VoterKey).Distinct().ToArray() },
                        new() { Value = casts.Select(c => c.SeasonId).Distinct().ToArray() },
                        new() { Value = casts.Select(c => c.SlotPosition).Distinct().ToArray() },
                    },
                },
            },
        };
        if (lockFirst)
        {
            command.BatchCommands.Insert(0, new NpgsqlBatchCommand(ShardSchema.WriterLockSql));
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (lockFirst)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        await reader.ReadAsync(cancellationToken);
        var writes = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var byId = new Dictionary<Guid, StoredVote>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var vote = ReadVote(reader);
            byId[vote.VoteId] = vote;
        }

        await reader.NextResultAsync(cancellationToken);
        var tombstones = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tombstones.Add(reader.GetGuid(0));
        }

        await reader.NextResultAsync(cancellationToken);
        var counted = new List<StoredVote>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counted.Add(ReadVote(reader));
        }

        return (new ShardState(byId, tombstones, counted), writes);
    }

    private static StoredVote ReadVote(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetGuid(3), reader.GetGuid(4), reader.GetString(5),
        reader.GetString(6), reader.GetInt32(7), reader.GetFieldValue<DateOnly>(8), reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10));

    private async Task CopyVotesAsync(NpgsqlConnection connection, ChannelReader<NewVote> votes, bool hasVotes,
        CancellationToken cancellationToken)
    {
        if (!hasVotes)
        {
            return;
        }

        var appliedAt = time.GetUtcNow().UtcDateTime;
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy votes ({Columns}) from stdin (format binary)", cancellationToken);
        // Synchronous field writes: they only fill Npgsql's buffer (flushing when full), and an await per field costs
        // more than the row itself.
        await foreach (var vote in votes.ReadAllAsync(cancellationToken))
        {
            var c = vote.Cast;
            importer.StartRow();
            importer.Write(c.VoteId, NpgsqlDbType.Uuid);
            importer.Write(c.SeasonId, NpgsqlDbType.Uuid);
            importer.Write(c.SlotPosition, NpgsqlDbType.Integer);
            importer.Write(c.ClipId, NpgsqlDbType.Uuid);
            importer.Write(c.CreatorId, NpgsqlDbType.Uuid);
            importer.Write(c.VoterKey, NpgsqlDbType.Text);
            importer.Write(c.VoteType, NpgsqlDbType.Text);
            importer.Write(c.Weight, NpgsqlDbType.Integer);
            importer.Write(c.Region, NpgsqlDbType.Text);
            importer.Write((int)c.Flags, NpgsqlDbType.Integer);
            importer.Write(c.MultiVote, NpgsqlDbType.Boolean);
            importer.Write(c.AcceptedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            importer.Write(vote.UtcDay, NpgsqlDbType.Date);
            importer.Write(vote.Status, NpgsqlDbType.Text);
            if (vote.Reason is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(vote.Reason, NpgsqlDbType.Text);
            }

            importer.Write(appliedAt, NpgsqlDbType.TimestampTz);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private List<NpgsqlBatchCommand> WriteCommands(BatchPlan plan, IReadOnlyCollection<(Guid SeasonId, int SlotPosition)> slots,
        List<GenreVoteChanged> genres)
    {
        var views = plan.Views.SelectMany(b => b.Views.Select(v => (b.BatchId, b.SeasonId, v.ClipId, (long)v.Views))).ToList();
        List<NpgsqlBatchCommand> commands =
        [
            ApplyDeltasCommand(plan, time.GetUtcNow()),
            new NpgsqlBatchCommand(AddTombstones)
            {
                Parameters =
                {
                    new() { Value = plan.Tombstones.Select(t => t.VoteId).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.SeasonId).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.SlotPosition).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.RevokedAt.ToUniversalTime()).ToArray() },
                },
            },
            new NpgsqlBatchCommand(AddViews)
            {
                Parameters =
                {
                    new() { Value = views.Select(v => v.BatchId).ToArray() },
                    new() { Value = views.Select(v => v.SeasonId).ToArray() },
                    new() { Value = views.Select(v => v.ClipId).ToArray() },
                    new() { Value = views.Select(v => v.Item4).ToArray() },
                },
            },
            new NpgsqlBatchCommand(MarkApplied) { Parameters = { new() { Value = shard }, new() { Value = (long)plan.CountedVotes } } },
        ];
        var now = time.GetUtcNow();
        if (now >= _nextPruneAt)
        {
            _nextPruneAt = now + TimeSpan.FromTicks(Math.Min(PruneInterval.Ticks, dayChangesRetention.Ticks));
            commands.Add(new NpgsqlBatchCommand(ShardSchema.PruneDayChangesSql)
            {
                Parameters = { new() { Value = now - dayChangesRetention }, new() { Value = shard } },
            });
        }

        if (genres.Count > 0)
        {
            commands.Add(new NpgsqlBatchCommand(ApplyGenreVotes)
            {
                Parameters =
                {
                    new() { Value = genres.Select(g => g.VoterKey).ToArray() },
                    new() { Value = genres.Select(g => g.Genre).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = genres.Select(g => g.Sequence).ToArray() },
                    new() { Value = genres.Select(g => g.ChangeId).ToArray() },
                    new() { Value = genres.Select(g => g.Region).ToArray() },
                    new() { Value = genres.Select(g => g.ChangedAt.ToUniversalTime()).ToArray() },
                },
            });
        }

        // Last: their rows are what the batch's reader reads.
        commands.Add(new NpgsqlBatchCommand(ReadTallies)
        {
            Parameters =
            {
                new() { Value = slots.Select(s => s.SeasonId).ToArray() },
                new() { Value = slots.Select(s => s.SlotPosition).ToArray() },
            },
        });
        if (genres.Count > 0)
        {
            commands.Add(new NpgsqlBatchCommand(ReadGenreCounts));
        }

        return commands;
    }

    private async Task<(List<SlotTally> Tallies, Dictionary<string, long>? GenreCounts)> WriteAsync(NpgsqlConnection connection,
        List<NpgsqlBatchCommand> commands, IReadOnlyCollection<(Guid SeasonId, int SlotPosition)> slots, bool readGenres,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var tallies = await ReadSlotTalliesAsync(reader, slots, time.GetUtcNow(), cancellationToken);
        if (!readGenres)
        {
            return (tallies, null);
        }

        await reader.NextResultAsync(cancellationToken);
        return (tallies, await ReadGenreCountsAsync(reader, cancellationToken));
    }

    /// <summary>Reads the rows of <see cref="ReadGenreCounts"/>.</summary>
    public static async Task<Dictionary<string, long>> ReadGenreCountsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Upsert of one day table from five array parameters from <c>$first</c>: subject, season, day, votes, weight.</summary>
    private static string AddToDays(string table, string subject, string subjectType, int first) => $"""
        insert into {table} as x ({subject}, season_id, utc_day, votes, weight, updated_at)
            select d.*, now() from unnest(${first}::{subjectType}[], ${first + 1}::uuid[], ${first + 2}::date[], ${first + 3}::bigint[], ${first + 4}::bigint[]) as d
            on conflict ({subject}, season_id, utc_day) do update
            set votes = x.votes + excluded.votes, weight = x.weight + excluded.weight, updated_at = excluded.updated_at
        """;

    /// <summary>
    /// Records in day_changes the keys of the day rows a statement changes, one row per table that has any, from the
    /// subject, season and day array parameters from each table's <c>$first</c>, stamped with parameter
    /// <c>$changedAt</c>: the process's clock, the one its prune of old changes goes by.
    /// </summary>
    private static string RecordDayChanges(int changedAt, params (string Table, int First)[] tables) => $"""
        insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            select c.* from (values {string.Join(", ", tables.Select(t =>
                $"('{t.Table}', ${changedAt}::timestamptz, cardinality(${t.First}), ${t.First}::text[], ${t.First + 1}::uuid[], ${t.First + 2}::date[])"))})
            as c(day_table, changed_at, key_count, subjects, season_ids, days)
            where c.key_count > 0
        """;

    private static NpgsqlBatchCommand ApplyDeltasCommand(BatchPlan plan, DateTimeOffset changedAt)
    {
        var deltas = BatchDeltas.Of(plan);
        var command = new NpgsqlBatchCommand(ApplyDeltas);
        Add(deltas.Tallies.Select(r => r.Key.SeasonId), deltas.Tallies.Select(r => r.Key.SlotPosition), deltas.Tallies.Select(r => r.Key.ClipId),
            deltas.Tallies.Select(r => r.Change));
        Add(deltas.VoterDays.Select(r => r.Key.VoterKey), deltas.VoterDays.Select(r => r.Key.SeasonId), deltas.VoterDays.Select(r => r.Key.Day),
            deltas.VoterDays.Select(r => r.Change));
        Add(deltas.CreatorDays.Select(r => r.Key.CreatorId), deltas.CreatorDays.Select(r => r.Key.SeasonId),
            deltas.CreatorDays.Select(r => r.Key.Day), deltas.CreatorDays.Select(r => r.Change));
        Add(deltas.ClipDays.Select(r => r.Key.ClipId), deltas.ClipDays.Select(r => r.Key.SeasonId), deltas.ClipDays.Select(r => r.Key.Day),
            deltas.ClipDays.Select(r => r.Change));
        command.Parameters.Add(new NpgsqlParameter { Value = plan.Revoked.Select(v => v.VoteId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = changedAt });
        return command;

        void Add<T1, T2, T3>(IEnumerable<T1> first, IEnumerable<T2> second, IEnumerable<T3> third, IEnumerable<Delta> changes)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = first.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = second.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = third.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Votes).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Weight).ToArray() });
        }
    }

    /// <summary>Reads rows of <see cref="ReadTallies"/> into one tally per asked slot (empty when it has no counts).</summary>
    /// <param name="asOf">Taken before the read, so the tally is never newer than it says.</param>
    public static async Task<List<SlotTally>> ReadSlotTalliesAsync(NpgsqlDataReader reader,
        IEnumerable<(Guid SeasonId, int SlotPosition)> slots, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var clips = slots.ToDictionary(s => s, _ => new List<ClipTally>());
        while (await reader.ReadAsync(cancellationToken))
        {
            clips[(reader.GetGuid(0), reader.GetInt32(1))].Add(
                new ClipTally(reader.GetGuid(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        }

        return clips.Select(c => new SlotTally { SeasonId = c.Key.SeasonId, SlotPosition = c.Key.SlotPosition, AsOf = asOf, Clips = c.Value }).ToList();
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }

        await DropConnectionAsync();
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            $"{WriterSessionSettings}; set lock_timeout = {(long)lockTimeout.TotalMilliseconds}", connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        _connection = connection;
        return connection;
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    public ValueTask DisposeAsync() => _connection?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>Another writer wrote to the shard between a batch's read of it and its write: the batch's decisions may be stale.</summary>
internal sealed class ShardWrittenMeanwhileException() : Exception("the shard was written by another writer since the batch read it");
