using System.Diagnostics;
using System.Threading.Channels;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using Npgsql;

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

    private readonly WriterConnection _connection = new(dataSource, lockTimeout);

    private readonly ShardFence _fence = new(shard, lease);

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
    public async Task<AppliedBatch> ApplyAsync(IReadOnlyList<(string Region, VoteStreamEvent Event)> batch, IReadOnlySet<Guid> unseenVotes,
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
    private async Task<AppliedBatch> ApplyOnceAsync(IReadOnlyList<(string Region, VoteStreamEvent Event)> batch, IReadOnlySet<Guid> unseenVotes,
        Func<Guid, int?> latestSlotOf, BatchTurn turn, bool lockFirst, CancellationToken cancellationToken)
    {
        await ledgerDays.EnsureLoadedAsync(batch.Select(m => m.Event).OfType<VoteCast>()
            .Select(c => DateOnly.FromDateTime(c.AcceptedAt.UtcDateTime)), cancellationToken);
        var connection = await _connection.OpenAsync(cancellationToken);
        var genres = batch.Select(m => m.Event).OfType<GenreVoteChanged>().ToList();
        BatchPlan? plan = null;
        Task<(HashSet<(Guid, int)> Slots, List<NpgsqlBatchCommand> Commands)>? deciding = null;
        try
        {
            await turn.WaitToReadAsync();
            var started = Stopwatch.GetTimestamp();
            using var span = AggregatorTracing.StartTransaction(shard);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var state = await BatchState.LoadAsync(connection, shard, batch, _lookUpEveryVote ? null : unseenVotes, lockFirst, cancellationToken);
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

                var now = time.GetUtcNow();
                return (slots, BatchWrite.Commands(shard, plan, slots, genres, now, PruneBefore(now)));
            }, cancellationToken);
            if (batch.Any(m => m.Event is VoteCast))
            {
                await VoteCopy.CopyAsync(connection, final.Reader, time.GetUtcNow().UtcDateTime, cancellationToken);
            }

            var copied = Stopwatch.GetTimestamp();
            var (slots, commands) = await deciding;
            await turn.WaitToWriteAsync();
            var waited = Stopwatch.GetTimestamp();
            var writes = await _fence.PassAsync(connection, state.Writes, turn.PreviousCommittedWrites, cancellationToken);
            var (tallies, genreCounts) = await BatchWrite.ExecuteAsync(connection, commands, slots, readGenres: genres.Count > 0,
                time.GetUtcNow(), cancellationToken);
            var written = Stopwatch.GetTimestamp();
            await transaction.CommitAsync(cancellationToken);
            var committedAt = time.GetUtcNow();
            // Before the next batch may write: the ledger follows this process's commits in their order.
            ledger.Follow(shard, writes);
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

            await _connection.DropAsync();
            throw;
        }
    }

    /// <summary>When a batch is to delete old day changes: the limit, at most once per <see cref="PruneInterval"/>.</summary>
    private DateTimeOffset? PruneBefore(DateTimeOffset now)
    {
        if (now < _nextPruneAt)
        {
            return null;
        }

        _nextPruneAt = now + TimeSpan.FromTicks(Math.Min(PruneInterval.Ticks, dayChangesRetention.Ticks));
        return now - dayChangesRetention;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
