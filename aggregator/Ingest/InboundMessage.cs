namespace AiMoviez.Aggregator.Ingest;

/// <summary>A decoded event from a lane of a region's vote stream, routed to its season's shard.</summary>
/// <param name="Event">A VoteCast, VoteRevoked or ClipViewsReported.</param>
/// <param name="FirstDelivery">
/// Never delivered by this consumer before, so its vote is almost always new to the shard. Not always: an edge may
/// publish a vote twice, and the consumer recreated at a restart counts deliveries afresh while it replays what the
/// last process applied but had not acked. The votes table's key catches those (<see cref="Shards.ShardBatchApplier"/>).
/// </param>
public sealed record InboundMessage(string Region, string Lane, ulong Sequence, object Event, IDelivery Delivery, bool FirstDelivery);

/// <summary>How a delivered message is settled with its stream.</summary>
public interface IDelivery
{
    /// <summary>Done with: acked by the next <see cref="FlushAcksAsync"/> of its lane.</summary>
    void Settle();

    /// <summary>Sends the acks of its lane's settled messages.</summary>
    ValueTask FlushAcksAsync(CancellationToken cancellationToken);

    /// <summary>Asks for redelivery after <paramref name="delay"/>.</summary>
    ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves the message to its region's dead-letter stream with <paramref name="reason"/>, then acks it.</summary>
    Task DeadLetterAsync(string reason, CancellationToken cancellationToken);
}

/// <summary>A message of a lane's consumer, known by its stream sequence and reply subject only.</summary>
public sealed class JetStreamDelivery(string replyTo, ulong sequence, RegionLink region, DeadLetters deadLetters, LaneAcks acks)
    : IDelivery
{
    public void Settle() => acks.Settle(sequence, replyTo);

    public ValueTask FlushAcksAsync(CancellationToken cancellationToken) => acks.FlushAsync(cancellationToken);

    /// <summary>The payload is read back from the stream, which keeps every message until its MaxAge.</summary>
    public Task DeadLetterAsync(string reason, CancellationToken cancellationToken) => DeadLetterAsync(null, reason, cancellationToken);

    /// <param name="received">The message's subject and payload while still at hand (poison found at decoding).</param>
    public async Task DeadLetterAsync((string Subject, byte[] Data)? received, string reason, CancellationToken cancellationToken)
    {
        await deadLetters.MoveAsync(region, sequence, received, reason, cancellationToken);
        Settle();
        await FlushAcksAsync(cancellationToken);
    }

    public ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        JetStreamReplies.NakAsync(region.Connection, replyTo, delay, cancellationToken);
}
