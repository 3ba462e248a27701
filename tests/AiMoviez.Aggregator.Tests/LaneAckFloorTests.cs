using AiMoviez.ServiceDefaults;
using NATS.Client.JetStream.Models;
using Policy = NATS.Client.JetStream.Models.ConsumerConfigDeliverPolicy;

namespace AiMoviez.Aggregator.Tests;

/// <summary>The lane's floor from its consumer's info as nats-server reports it (see <see cref="LaneAckFloor"/>).</summary>
public sealed class LaneAckFloorTests
{
    [Fact]
    public void A_consumer_made_to_start_past_a_floor_keeps_it_until_its_first_ack() =>
        Assert.Equal(89_629UL, LaneAckFloor.Of(Info(Policy.ByStartSequence, optStart: 89_630, ackFloor: 0, delivered: 89_640, ackPending: 3)));

    [Fact]
    public void An_ack_past_the_start_moves_the_floor() =>
        Assert.Equal(89_635UL, LaneAckFloor.Of(Info(Policy.ByStartSequence, optStart: 89_630, ackFloor: 89_635, delivered: 89_640, ackPending: 3)));

    [Fact]
    public void With_nothing_awaiting_an_ack_all_it_delivered_is_acked() =>
        Assert.Equal(89_640UL, LaneAckFloor.Of(Info(Policy.ByStartSequence, optStart: 89_630, ackFloor: 0, delivered: 89_640, ackPending: 0)));

    [Fact]
    public void A_consumer_from_the_start_that_acked_nothing_has_nothing_acked() =>
        Assert.Equal(0UL, LaneAckFloor.Of(Info(Policy.All, optStart: null, ackFloor: 0, delivered: 12, ackPending: 12)));

    private static ConsumerInfo Info(Policy policy, ulong? optStart, ulong ackFloor, ulong delivered, int ackPending) => new()
    {
        StreamName = "VOTES_US_EAST",
        Name = "aggregator-shard-1",
        Config = new ConsumerConfig("aggregator-shard-1") { DeliverPolicy = policy, OptStartSeq = optStart ?? 0 },
        AckFloor = new SequenceInfo { StreamSeq = ackFloor },
        Delivered = new SequenceInfo { StreamSeq = delivered },
        NumAckPending = ackPending,
    };
}
