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
internal sealed class DeadLetters(AggregatorMetrics metrics, ILogger<DeadLetters> logger)
{
    public const string ReasonHeader = "AiMoviez-Reason";

    public const string PartHeader = "AiMoviez-Part";

    /// <param name="part">For one vote of a message's group of votes (<see cref="VoteCasts"/>): its place in the group.</param>
    /// <param name="received">The subject and payload to move if at hand; otherwise the message is read back from the stream by sequence.</param>
    public async Task MoveAsync(RegionLink region, ulong sequence, int? part, (string Subject, byte[] Data)? received, string reason,
        CancellationToken cancellationToken)
    {
        logger.LogWarning("Dead letter from {Region} seq {Sequence} part {Part}: {Reason}", region.Name, sequence, part, reason);
        var (subject, data) = received ?? await ReadBackAsync(region, sequence, cancellationToken);
        var headers = new NatsHeaders
        {
            [ReasonHeader] = reason,
            ["AiMoviez-Subject"] = subject,
            ["AiMoviez-Sequence"] = sequence.ToString(CultureInfo.InvariantCulture),
        };
        if (part is { } index)
        {
            headers[PartHeader] = index.ToString(CultureInfo.InvariantCulture);
        }

        // The message id makes a move repeated after a crash (stored, not yet acked) store it once.
        var ack = await region.JetStream.PublishAsync(Subjects.DeadLetter(region.Name), data, headers: headers,
            opts: new NatsJSPubOpts { MsgId = $"{StreamNames.Votes(region.Name)}-{sequence}" + (part is { } p ? $"-{p}" : "") },
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
