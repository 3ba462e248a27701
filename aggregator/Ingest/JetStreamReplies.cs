using System.Globalization;
using System.Text;
using NATS.Client.Core;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Acks and NAKs sent to a message's reply subject, its ack address: the same payloads NATS.Client.JetStream sends from
/// a received message, but from the reply subject alone. The consumers keep only that string of a message once it is
/// decoded, not the received message with its payload, headers and parsed metadata (about 2 KB): those would stay alive
/// as long as the message waits for its batch's commit, and that live data was most of what each garbage collection
/// copied (measured in the ingest benchmark).
/// Each is sent as a request the consumer's leader answers, and sent again until it does: a bare publish is dropped
/// while a replicated consumer elects a new leader, and a lost NAK or last ack would hold the lane (and so the close
/// barrier) back until AckWait redelivers.
/// </summary>
internal static class JetStreamReplies
{
    private static readonly byte[] Ack = "+ACK"u8.ToArray();
    private static readonly byte[] Nak = "-NAK"u8.ToArray();
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    /// <summary>Long enough for a replicated consumer to elect a leader; past it, AckWait redelivers.</summary>
    private static readonly TimeSpan ConfirmWithin = TimeSpan.FromSeconds(15);

    /// <summary>With AckPolicy All, also acks every earlier message of the consumer.</summary>
    public static Task<bool> AckAsync(INatsConnection connection, string replyTo, TimeProvider time, CancellationToken stillWanted,
        CancellationToken cancellationToken) =>
        SendConfirmedAsync(connection, replyTo, Ack, time, stillWanted, cancellationToken);

    /// <summary>Asks for redelivery after <paramref name="delay"/> (at once when zero).</summary>
    public static Task<bool> NakAsync(INatsConnection connection, string replyTo, TimeSpan delay, TimeProvider time,
        CancellationToken stillWanted, CancellationToken cancellationToken)
    {
        var payload = delay <= TimeSpan.Zero
            ? Nak
            : Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"-NAK {{\"delay\": {delay.Ticks * 100}}}"));
        return SendConfirmedAsync(connection, replyTo, payload, time, stillWanted, cancellationToken);
    }

    /// <summary>
    /// False when not sent or not answered within <see cref="ConfirmWithin"/>. Nothing is sent once
    /// <paramref name="stillWanted"/> is cancelled: the consumer it was meant for has been replaced.
    /// </summary>
    private static async Task<bool> SendConfirmedAsync(INatsConnection connection, string replyTo, byte[] payload, TimeProvider time,
        CancellationToken stillWanted, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + ConfirmWithin;
        var replyOpts = new NatsSubOpts { Timeout = AttemptTimeout };
        while (true)
        {
            if (stillWanted.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await connection.RequestAsync(replyTo, payload, requestSerializer: NatsRawSerializer<byte[]>.Default,
                    replySerializer: NatsRawSerializer<byte[]>.Default, replyOpts: replyOpts, cancellationToken: cancellationToken);
                return true;
            }
            catch (NatsException) when (time.GetUtcNow() < deadline)
            {
                await Task.Delay(RetryPause, time, cancellationToken);
            }
            catch (NatsException)
            {
                return false;
            }
        }
    }
}
