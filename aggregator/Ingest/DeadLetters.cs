using System.Globalization;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Moves a message its stream must not redeliver forever (undecodable, unroutable, or refused by its shard) to the
/// region's dead-letter stream, with the reason in a header; the caller then settles it with its lane's acks. Counted in
/// the dead-letters metric.
/// </summary>
public sealed class DeadLetters(AggregatorMetrics metrics, ILogger<DeadLetters> logger)
{
    public const string ReasonHeader = "AiMoviez-Reason";

    /// <param name="received">The message's subject and payload if still at hand; otherwise read back from the stream by sequence.</param>
    public async Task MoveAsync(RegionLink region, ulong sequence, (string Subject, byte[] Data)? received, string reason,
        CancellationToken cancellationToken)
    {
        logger.LogWarning("Dead letter from {Region} seq {Sequence}: {Reason}", region.Name, sequence, reason);
        var (subject, data) = received ?? await ReadBackAsync(region, sequence, cancellationToken);
        var headers = new NatsHeaders
        {
            [ReasonHeader] = reason,
            ["AiMoviez-Subject"] = subject,
            ["AiMoviez-Sequence"] = sequence.ToString(CultureInfo.InvariantCulture),
        };
        // The message id makes a move repeated after a crash (stored, not yet acked) store it once.
        var ack = await region.JetStream.PublishAsync(Subjects.DeadLetter(region.Name), data, headers: headers,
            opts: new NatsJSPubOpts { MsgId = $"{StreamNames.Votes(region.Name)}-{sequence}" },
            cancellationToken: cancellationToken);
        ack.EnsureSuccess();
        metrics.DeadLettered(region.Name);
    }

    private static async Task<(string Subject, byte[] Data)> ReadBackAsync(RegionLink region, ulong sequence, CancellationToken cancellationToken)
    {
        var stream = await region.JetStream.GetStreamAsync(StreamNames.Votes(region.Name), cancellationToken: cancellationToken);
        var stored = await stream.GetAsync(new StreamMsgGetRequest { Seq = sequence }, cancellationToken);
        return (stored.Message.Subject, stored.Message.Data.ToArray());
    }
}
