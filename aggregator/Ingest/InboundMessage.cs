using NATS.Client.JetStream;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>A decoded event from a lane of a region's vote stream, routed to its season's shard.</summary>
/// <param name="Event">A VoteCast, VoteRevoked or ClipViewsReported.</param>
public sealed record InboundMessage(string Region, string Lane, ulong Sequence, object Event, IDelivery Delivery);

/// <summary>How a delivered message is settled with its stream.</summary>
public interface IDelivery
{
    ValueTask AckAsync(CancellationToken cancellationToken);

    /// <summary>Asks for redelivery after <paramref name="delay"/>.</summary>
    ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Moves the message to its region's dead-letter stream with <paramref name="reason"/>, then acks it.</summary>
    Task DeadLetterAsync(string reason, CancellationToken cancellationToken);
}

public sealed class JetStreamDelivery(INatsJSMsg<byte[]> message, RegionLink region, DeadLetters deadLetters) : IDelivery
{
    public Task DeadLetterAsync(string reason, CancellationToken cancellationToken) =>
        deadLetters.MoveAsync(region, message, reason, cancellationToken);

    public ValueTask AckAsync(CancellationToken cancellationToken) => message.AckAsync(cancellationToken: cancellationToken);

    public ValueTask NakAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        message.NakAsync(new AckOpts { NakDelay = delay }, cancellationToken);
}
