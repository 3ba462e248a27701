using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.ServiceDefaults;

public static class PubAcks
{
    /// <summary>
    /// Throws unless the stream holds the message. A duplicate (its <c>Nats-Msg-Id</c> stored already within the stream's
    /// duplicate window: a retried or replayed publish) is held as surely, though <c>EnsureSuccess</c> throws for it.
    /// </summary>
    public static void EnsureStored(this PubAckResponse ack)
    {
        if (ack is not { Error: null, Duplicate: true })
        {
            ack.EnsureSuccess();
        }
    }
}
