using System.Diagnostics;
using System.Text.Json;
using AiMoviez.Aggregator.Barrier;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>A decoded event from a lane of a region's vote stream, routed to its season's shard.</summary>
/// <param name="FirstDelivery">
/// Never delivered by this consumer before, so its vote is almost always new to the shard. Not always: an edge may
/// publish a vote twice, and the consumer recreated at a restart counts deliveries afresh while it replays what the
/// last process applied but had not acked. The votes table's key catches those (<see cref="Shards.ShardBatchApplier"/>).
/// </param>
internal sealed record InboundMessage(string Region, string Lane, ulong Sequence, VoteStreamEvent Event, IDelivery Delivery, bool FirstDelivery)
{
    /// <summary>The W3C trace context of the edge's send span for this event, when the edge traced it and this process traces.</summary>
    public ActivityContext Trace { get; init; }
}

/// <summary>How a delivered event is settled with its stream, through the message that carried it.</summary>
internal interface IDelivery
{
    /// <summary>In its shard (committed): once every event of its message is, or dead-lettered, the close barrier counts the message applied.</summary>
    void Applied();

    /// <summary>Done with: once every event of its message is, the message is acked by the next <see cref="FlushAcksAsync"/> of its lane.</summary>
    ValueTask SettleAsync(CancellationToken cancellationToken);

    /// <summary>Sends the acks of its lane's settled messages.</summary>
    ValueTask FlushAcksAsync(CancellationToken cancellationToken);

    /// <summary>Asks for its message again after <paramref name="delay"/>, once every event of the message is settled or asks too.</summary>
    ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves the event to its region's dead-letter stream with <paramref name="reason"/>, then settles it.</summary>
    Task DeadLetterAsync(string reason, CancellationToken cancellationToken);
}

/// <summary>
/// A message of a lane's consumer, known by its stream sequence and reply subject only, settled with its stream once
/// every event it carries is: acked (with its lane's next flush) when all are done with, NAKed when any asked for
/// redelivery (the events already applied are then found applied again, idempotently).
/// </summary>
internal sealed class LaneMessage(string replyTo, ulong sequence, string lane, int events, RegionLink region, DeadLetters deadLetters,
    LaneAcks acks, AppliedWatermarks watermarks)
{
    private readonly Lock _sync = new();
    private int _unapplied = events;
    private int _unsettled = events;
    private TimeSpan? _redeliverAfter;

    public string Lane => lane;

    public RegionLink Region => region;

    public void EventApplied()
    {
        if (Interlocked.Decrement(ref _unapplied) == 0)
        {
            watermarks.Applied(region.Name, lane, sequence);
        }
    }

    /// <param name="redeliverAfter">Null when the event is done with; else the delay after which it wants its message again.</param>
    public ValueTask EventSettledAsync(TimeSpan? redeliverAfter, CancellationToken cancellationToken)
    {
        TimeSpan? nak;
        lock (_sync)
        {
            if (redeliverAfter is { } delay && (_redeliverAfter is not { } longer || delay > longer))
            {
                _redeliverAfter = delay;
            }

            if (--_unsettled > 0)
            {
                return ValueTask.CompletedTask;
            }

            nak = _redeliverAfter;
        }

        if (nak is { } after)
        {
            return acks.NakAsync(replyTo, after, cancellationToken);
        }

        acks.Settle(sequence, replyTo);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAcksAsync(CancellationToken cancellationToken) => acks.FlushAsync(cancellationToken);

    /// <param name="received">A subject and payload to dead-letter; null for the message as the stream keeps it (read back).</param>
    public Task DeadLetterAsync(int? part, (string Subject, byte[] Data)? received, string reason, CancellationToken cancellationToken) =>
        deadLetters.MoveAsync(region, sequence, part, received, reason, cancellationToken);
}

/// <summary>How one event of a <see cref="LaneMessage"/> is settled.</summary>
/// <param name="groupPart">The vote's place in its message's <see cref="VoteCasts"/>; null when the event is the whole message.</param>
/// <param name="groupVote">That vote, which is dead-lettered on its own, as the <see cref="VoteCast"/> it would be alone.</param>
internal sealed class EventDelivery(LaneMessage message, int? groupPart = null, VoteCast? groupVote = null) : IDelivery
{
    public void Applied() => message.EventApplied();

    public ValueTask SettleAsync(CancellationToken cancellationToken) => message.EventSettledAsync(null, cancellationToken);

    public ValueTask FlushAcksAsync(CancellationToken cancellationToken) => message.FlushAcksAsync(cancellationToken);

    public ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken) => message.EventSettledAsync(delay, cancellationToken);

    /// <summary>A whole message is read back from the stream, which keeps every message until its MaxAge.</summary>
    public Task DeadLetterAsync(string reason, CancellationToken cancellationToken) => DeadLetterAsync(null, reason, cancellationToken);

    /// <param name="received">The message's subject and payload while still at hand (poison found at decoding).</param>
    public async Task DeadLetterAsync((string Subject, byte[] Data)? received, string reason, CancellationToken cancellationToken)
    {
        var payload = received ?? (groupVote is null
            ? null
            : (Subjects.VoteCast(message.Region.Name, message.Lane), JsonSerializer.SerializeToUtf8Bytes(groupVote, ContractsJson.Default.VoteCast)));
        await message.DeadLetterAsync(groupPart, payload, reason, cancellationToken);
        Applied();
        await SettleAsync(cancellationToken);
        await FlushAcksAsync(cancellationToken);
    }
}
