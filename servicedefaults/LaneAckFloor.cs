using NATS.Client.JetStream.Models;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// The stream sequence through which an aggregator lane's consumer has every message acked: where the aggregator
/// restarts the lane, and where core's pipeline view looks for the lane's oldest unacked message. nats-server reports an
/// ack floor of 0 for a consumer that has acked nothing yet, even one made to start past an earlier floor: read as it
/// is, a lane that took nothing since the aggregator's last restart went back to the start of its stream at the next,
/// every vote it ever carried applied (a no-op) and decided (a receipt rewrite) again.
/// </summary>
public static class LaneAckFloor
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
