using NATS.Client.JetStream.Models;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// The stream sequence through which an aggregator lane's consumer has every message acked: where the aggregator
/// restarts the lane, and where core's pipeline view looks for its oldest unacked message. nats-server reports an ack
/// floor of 0 until a consumer's first ack, even for one made to start past an earlier floor; taken as it is, a lane
/// idle between two restarts went back to the start of its stream.
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
