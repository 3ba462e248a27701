using System.Diagnostics;
using System.Threading.Channels;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Aggregator.Republish;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using AiMoviez.ServiceDefaults;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// The single writer of one shard, fed by every region: cross-region rules are decided without races because only
/// this writer changes the shard. It applies batches in order through two appliers, each with its connection: a batch
/// reads and copies while the one before writes and commits (<see cref="BatchTurn"/>). A failed batch (shard down) is
/// NAKed with a growing delay and only this shard's seasons wait; while the shard is down, messages are NAKed without
/// a try until the next probe is due.
/// </summary>
internal sealed class ShardWriter(
    string shard,
    NpgsqlDataSource dataSource,
    (ShardBatchApplier First, ShardBatchApplier Second) appliers,
    DailyLedger ledger,
    KnownSlots knownSlots,
    OutcomePublisher publisher,
    AggregatorMetrics metrics,
    AggregatorOptions options,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DecisionsRetryFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DecisionsRetryPause = TimeSpan.FromMilliseconds(500);
    // Four batches' worth wait at most: the consumers' MaxAckPending counts messages, and a message may carry a group of
    // up to 100 votes, so it alone would let millions of decoded votes pile up here while a backlog drains.
    private readonly Channel<InboundMessage> _inbox = Channel.CreateBounded<InboundMessage>(
        new BoundedChannelOptions(4 * options.MaxBatchSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    // Publishing and acking a committed batch overlaps the next batch's transaction; bounded, in commit order.
    private readonly Channel<(List<InboundMessage> Batch, AppliedBatch Applied)> _committed =
        Channel.CreateBounded<(List<InboundMessage>, AppliedBatch)>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    // Held to start a batch, and by a slot's reset while it waits for the batches in flight and runs between them.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private BatchTurn _latest = BatchTurn.BeforeFirst();
    private TimeSpan _retryDelay = FirstRetry;
    private DateTimeOffset _nextAttemptAt;

    public string Shard => shard;

    public NpgsqlDataSource DataSource => dataSource;

    public bool Healthy { get; private set; }

    public DateTimeOffset? LastAppliedAt { get; private set; }

    public long VotesApplied { get; private set; }

    /// <summary>Waits while the shard already has four batches waiting: only the lanes feeding it wait with it.</summary>
    public ValueTask EnqueueAsync(InboundMessage message, CancellationToken cancellationToken) => _inbox.Writer.WriteAsync(message, cancellationToken);

    /// <summary>Creates the schema and loads what the writer and the ledger need, retrying until the shard answers.</summary>
    public async Task InitializeAsync(DateOnly ledgerFrom, DateOnly ledgerTo, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await ShardSchema.EnsureAsync(dataSource, cancellationToken);
                await using (var command = dataSource.CreateCommand("select last_applied_at, votes_applied from shard_status where shard = $1"))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = shard });
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        LastAppliedAt = reader.Get<DateTimeOffset?>("last_applied_at");
                        VotesApplied = reader.Get<long>("votes_applied");
                    }
                }

                await using (var command = dataSource.CreateCommand(
                    "select distinct on (season_id) season_id, slot_position from tallies order by season_id, slot_position desc"))
                {
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        knownSlots.Observe(shard, reader.Get<Guid>("season_id"), reader.Get<int>("slot_position"));
                    }
                }

                var started = Stopwatch.GetTimestamp();
                var rows = await LedgerDays.ReadAsync(dataSource, shard, ledgerFrom, ledgerTo, cancellationToken);
                ledger.Load(rows);
                ledger.Saw(shard, rows.Writes);
                logger.LogInformation("Shard {Shard}: {Rows} day rows loaded into the daily ledger in {Seconds:F1} s", shard, rows.Count,
                    Stopwatch.GetElapsedTime(started).TotalSeconds);
                Healthy = true;
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Shard {Shard} not ready at start ({Error}); retrying", shard, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>Ends when either loop ends: a loop that failed must stop the process, not leave the shard's writer half alive.</summary>
    public async Task RunAsync(CancellationToken cancellationToken) =>
        await await Task.WhenAny(ApplyLoopAsync(cancellationToken), SettleLoopAsync(cancellationToken));

    private async Task ApplyLoopAsync(CancellationToken cancellationToken)
    {
        // The next batch goes to the applier whose last batch is the older one, which must be done with it first.
        var (next, other) = appliers;
        Task nextsLast = Task.CompletedTask, othersLast = Task.CompletedTask;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var batch = await BatchCollector.ReadAsync(_inbox.Reader, options.MaxBatchSize, options.MaxBatchAge, cancellationToken);
                if (batch.Count == 0)
                {
                    continue;
                }

                await _turn.WaitAsync(cancellationToken);
                try
                {
                    await nextsLast;
                    _latest = _latest.Next(batch.Select(m => m.Event));
                    nextsLast = ApplyAsync(batch, next, _latest, cancellationToken);
                    (next, other, nextsLast, othersLast) = (other, next, othersLast, nextsLast);
                }
                finally
                {
                    _turn.Release();
                }
            }
        }
        finally
        {
            await Task.WhenAll(nextsLast, othersLast);
        }
    }

    /// <summary>After a commit: tallies (and genre counts) to every region, decisions to the origin regions, then the acks.</summary>
    private async Task SettleLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var (batch, applied) in _committed.Reader.ReadAllAsync(cancellationToken))
        {
            var started = Stopwatch.GetTimestamp();
            await publisher.PublishTalliesAsync(applied.Tallies, cancellationToken);
            if (applied.Genres is { } genres)
            {
                await publisher.PublishGenresAsync(genres, cancellationToken);
            }

            var undecided = await PublishDecisionsAsync(applied.Plan.Decisions, cancellationToken);
            var published = Stopwatch.GetTimestamp();
            foreach (var message in batch)
            {
                await SettleAsync(message, undecided.Contains(message.Region), cancellationToken);
            }

            foreach (var lane in batch.DistinctBy(m => (m.Region, m.Lane)))
            {
                await FlushAcksAsync(lane.Delivery, cancellationToken);
            }

            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("Shard {Shard} settled {Count}: publish {Publish:F1} ms, acks {Acks:F1} ms",
                    shard, batch.Count, Stopwatch.GetElapsedTime(started, published).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(published).TotalMilliseconds);
            }
        }
    }

    /// <summary>
    /// Tries a region whose receipts stream did not store the decisions again for a few seconds (a replicated stream
    /// electing a leader) before its messages go back to the stream: a redelivery costs a second apply, and the NAK that
    /// asks for it can be lost the same way.
    /// </summary>
    private async Task<IReadOnlySet<string>> PublishDecisionsAsync(List<(string Region, VoteDecision Decision)> decisions,
        CancellationToken cancellationToken)
    {
        var undecided = await publisher.PublishDecisionsAsync(decisions, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        while (undecided.Count > 0 && Stopwatch.GetElapsedTime(started) < DecisionsRetryFor)
        {
            await Task.Delay(DecisionsRetryPause, cancellationToken);
            var failed = undecided;
            undecided = await publisher.PublishDecisionsAsync(decisions.Where(d => failed.Contains(d.Region)), cancellationToken);
        }

        return undecided;
    }

    private async Task ApplyAsync(List<InboundMessage> batch, ShardBatchApplier applier, BatchTurn turn, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyInTurnAsync(batch, applier, turn, cancellationToken);
        }
        finally
        {
            turn.Finish();
        }
    }

    private async Task ApplyInTurnAsync(List<InboundMessage> batch, ShardBatchApplier applier, BatchTurn turn, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!Healthy && now < _nextAttemptAt)
        {
            await NakAsync(batch, TimeSpan.FromTicks(Math.Max((_nextAttemptAt - now).Ticks, FirstRetry.Ticks)), cancellationToken);
            return;
        }

        AppliedBatch applied;
        var started = Stopwatch.GetTimestamp();
        using var span = AggregatorTracing.StartBatch(shard, batch);
        try
        {
            applied = await applier.ApplyAsync(batch.Select(m => (m.Region, m.Event)).ToList(), UnseenVotes(batch), knownSlots.LatestSlot,
                turn, cancellationToken);
        }
        catch (PostgresException e) when (IsRefusedData(e))
        {
            Spans.End(span, e);
            // Its halves are applied in order after the batches before it, and before the batches after it.
            await turn.WaitToWriteAsync();
            await SplitRefusedAsync(batch, applier, e, cancellationToken);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Spans.End(span, e);
            Healthy = false;
            _nextAttemptAt = time.GetUtcNow() + _retryDelay;
            logger.LogWarning("Shard {Shard} batch of {Count} failed ({Error}); retrying in {Delay}", shard, batch.Count, e.Message, _retryDelay);
            await NakAsync(batch, _retryDelay, cancellationToken);
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, options.ShardRetryMax.Ticks));
            return;
        }

        Healthy = true;
        _retryDelay = FirstRetry;
        LastAppliedAt = applied.CommittedAt;
        VotesApplied += applied.Plan.CountedVotes;
        metrics.BatchApplied(shard, batch.Count, applied.Plan.CountedVotes);
        metrics.Committed(shard, started, applied.CommittedAt, OldestVoteAcceptedAt(batch));
        foreach (var message in batch)
        {
            message.Delivery.Applied();
        }

        knownSlots.Observe(shard, applied.Tallies);
        await _committed.Writer.WriteAsync((batch, applied), cancellationToken);
    }

    private static DateTimeOffset? OldestVoteAcceptedAt(List<InboundMessage> batch)
    {
        DateTimeOffset? oldest = null;
        foreach (var message in batch)
        {
            if (message.Event is VoteCast cast && (oldest is not { } before || cast.AcceptedAt < before))
            {
                oldest = cast.AcceptedAt;
            }
        }

        return oldest;
    }

    private static HashSet<Guid> UnseenVotes(List<InboundMessage> batch) =>
        batch.Where(m => m.FirstDelivery).Select(m => m.Event).OfType<VoteCast>().Select(c => c.VoteId).ToHashSet();

    /// <summary>
    /// The shard is up but refuses what a message holds (a value out of range, a key too long to index...): retrying
    /// the batch would fail forever and stall the shard's seasons.
    /// </summary>
    private static bool IsRefusedData(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) // data exception
        || e.SqlState.StartsWith("23", StringComparison.Ordinal) // integrity constraint violation
        || e.SqlState.StartsWith("54", StringComparison.Ordinal); // program limit exceeded

    /// <summary>
    /// Applies each half of a refused batch on its own, down to the single message the shard refuses, which goes to its
    /// region's dead-letter stream; every other message of the batch is applied as usual.
    /// </summary>
    private async Task SplitRefusedAsync(List<InboundMessage> batch, ShardBatchApplier applier, PostgresException error, CancellationToken cancellationToken)
    {
        if (batch.Count > 1)
        {
            foreach (var half in (List<InboundMessage>[])[batch[..(batch.Count / 2)], batch[(batch.Count / 2)..]])
            {
                await ApplyAsync(half, applier, BatchTurn.Alone(half.Select(m => m.Event)), cancellationToken);
            }

            return;
        }

        var message = batch[0];
        try
        {
            // An accepted vote must end with a final word: its receipt says rejected.
            if (message.Event is VoteCast cast && (await publisher.PublishDecisionsAsync(
                    [(message.Region, new VoteDecision(cast.VoteId, VoteStatuses.Rejected, ErrorCodes.InvalidRequest))], cancellationToken)).Count > 0)
            {
                throw new InvalidOperationException("receipts not published");
            }

            await message.Delivery.DeadLetterAsync($"refused by {shard}: {error.SqlState} {error.MessageText}", cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Message {Region} seq {Sequence} refused by shard {Shard} and not dead-lettered ({Error}); redelivering",
                message.Region, message.Sequence, shard, e.Message);
            await NakAsync(batch, _retryDelay, cancellationToken);
        }
    }

    /// <summary>Waits until this writer's batches in flight are done and holds its next batch back until <see cref="Resume"/>.</summary>
    public async Task PauseAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await _latest.Done.WaitAsync(cancellationToken);
        }
        catch
        {
            _turn.Release();
            throw;
        }
    }

    public void Resume() => _turn.Release();

    /// <summary>Removes a slot's votes and counts, between two batches of this writer; returns the zeroed tally.</summary>
    public async Task<SlotTally> ResetSlotAsync(Guid seasonId, int slotPosition, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await _latest.Done;
            var (givenBack, writes) = await SlotReset.ExecuteAsync(dataSource, shard, seasonId, slotPosition, cancellationToken);
            lock (ledger.Sync)
            {
                foreach (var (voterKey, day, weight) in givenBack)
                {
                    ledger.Add(voterKey, day, -weight);
                }
            }

            ledger.Follow(shard, writes);
        }
        finally
        {
            _turn.Release();
        }

        knownSlots.Observe(shard, seasonId, slotPosition);
        var zeroed = new SlotTally { SeasonId = seasonId, SlotPosition = slotPosition, AsOf = time.GetUtcNow(), Clips = [] };
        await publisher.PublishTalliesAsync([zeroed], cancellationToken);
        return zeroed;
    }

    /// <summary>
    /// An admin's review of flagged votes (<see cref="VoteReview"/>), between two batches of this writer; then the changed
    /// slots' tallies and the discounted votes' receipts go out. False when some region did not store the receipts: the
    /// review stands and a retried call publishes them again.
    /// </summary>
    public async Task<(IReadOnlyList<Guid> Changed, bool ReceiptsStored)> ReviewVotesAsync(string action, Guid[] voteIds,
        CancellationToken cancellationToken)
    {
        VoteReview.Outcome outcome;
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await _latest.Done;
            outcome = await VoteReview.ExecuteAsync(dataSource, shard, action, voteIds, cancellationToken);
            // The ledger already holds a discounted vote's weight, as voter_days now does (held_weight).
            ledger.Follow(shard, outcome.Writes);
        }
        finally
        {
            _turn.Release();
        }

        if (outcome.Slots.Count > 0)
        {
            var asOf = time.GetUtcNow();
            await using var command = dataSource.CreateCommand(TallyReads.ReadTallies);
            command.Parameters.Add(new NpgsqlParameter { Value = outcome.Slots.Select(s => s.SeasonId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = outcome.Slots.Select(s => s.SlotPosition).ToArray() });
            List<SlotTally> tallies;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                tallies = await TallyReads.ReadSlotTalliesAsync(reader, outcome.Slots, asOf, cancellationToken);
            }

            knownSlots.Observe(shard, tallies);
            await publisher.PublishTalliesAsync(tallies, cancellationToken);
        }

        var failed = await publisher.PublishDecisionsAsync(outcome.Discounted.Select(d =>
            (d.Region, new VoteDecision(d.VoteId, VoteStatuses.Rejected, VoteReviewRequest.FraudReviewReason))), cancellationToken);
        return (outcome.Changed, failed.Count == 0);
    }

    private static async Task SettleAsync(InboundMessage message, bool redeliver, CancellationToken cancellationToken)
    {
        // A vote whose decision did not reach its region's receipts comes back and is decided again (idempotently).
        if (!redeliver)
        {
            await message.Delivery.SettleAsync(cancellationToken);
            return;
        }

        try
        {
            await message.Delivery.NakAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not NAKed: AckWait redelivers it.
        }
    }

    private static async Task FlushAcksAsync(IDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await delivery.FlushAcksAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unacked after commit: the redelivery is applied idempotently.
        }
    }

    private static async Task NakAsync(List<InboundMessage> batch, TimeSpan delay, CancellationToken cancellationToken)
    {
        foreach (var message in batch)
        {
            try
            {
                await message.Delivery.NakAsync(delay, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not NAKed: AckWait redelivers it.
            }
        }
    }
}
