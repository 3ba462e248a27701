using NATS.Client.JetStream.Models;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// The stream sequence through which a lane's consumer has every message acked. nats-server reports an ack floor of 0
/// for a consumer that has acked nothing yet, even one created to start past an earlier floor: read as it is, a lane
/// that took no message since the last restart would go back to the start of its stream at the next one, and every
/// vote it ever carried would be applied (harmlessly) and decided (for every receipt) again.
/// </summary>
internal static class LaneAckFloor
{
    public static ulong Of(ConsumerInfo info)
    {
        var floor = info.AckFloor.StreamSeq;
        if (info.Config.DeliverPolicy == ConsumerConfigDeliverPolicy.ByStartSequence && info.Config.OptStartSeq > 0)
        {
            floor = Math.Max(floor, info.Config.OptStartSeq - 1);
        }

        // Nothing awaits an ack: all that was delivered is acked (AckPolicy All).
        return info.NumAckPending == 0 ? Math.Max(floor, info.Delivered.StreamSeq) : floor;
    }
}
