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
/// </summary>
internal static class JetStreamReplies
{
    private static readonly byte[] Ack = "+ACK"u8.ToArray();
    private static readonly byte[] Nak = "-NAK"u8.ToArray();

    /// <summary>With AckPolicy All, also acks every earlier message of the consumer.</summary>
    public static ValueTask AckAsync(INatsConnection connection, string replyTo, CancellationToken cancellationToken) =>
        connection.PublishAsync(replyTo, Ack, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken);

    /// <summary>Asks for redelivery after <paramref name="delay"/> (at once when zero).</summary>
    public static ValueTask NakAsync(INatsConnection connection, string replyTo, TimeSpan delay, CancellationToken cancellationToken)
    {
        var payload = delay <= TimeSpan.Zero
            ? Nak
            : Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"-NAK {{\"delay\": {delay.Ticks * 100}}}"));
        return connection.PublishAsync(replyTo, payload, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken);
    }
}
