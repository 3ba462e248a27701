using System.Globalization;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Moves a message its stream must not redeliver forever (undecodable, unroutable, or refused by its shard) to the
/// region's dead-letter stream, with the reason in a header; the caller then settles it with its lane's acks. Counted in
/// the dead-letters metric.
/// </summary>
public sealed class DeadLetters(AggregatorMetrics metrics, ILogger<DeadLetters> logger)
{
    public const string ReasonHeader = "AiMoviez-Reason";

    public async Task MoveAsync(RegionLink region, INatsJSMsg<byte[]> message, string reason, CancellationToken cancellationToken)
    {
        var sequence = message.Metadata!.Value.Sequence.Stream;
        logger.LogWarning("Dead letter from {Region} seq {Sequence}: {Reason}", region.Name, sequence, reason);
        var headers = new NatsHeaders
        {
            [ReasonHeader] = reason,
            ["AiMoviez-Subject"] = message.Subject,
            ["AiMoviez-Sequence"] = sequence.ToString(CultureInfo.InvariantCulture),
        };
        // The message id makes a move repeated after a crash (stored, not yet acked) store it once.
        var ack = await region.JetStream.PublishAsync(Subjects.DeadLetter(region.Name), message.Data ?? [], headers: headers,
            opts: new NatsJSPubOpts { MsgId = $"{StreamNames.Votes(region.Name)}-{sequence}" }, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
        metrics.DeadLettered(region.Name);
    }
}
