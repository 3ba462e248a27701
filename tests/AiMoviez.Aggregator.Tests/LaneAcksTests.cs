using AiMoviez.Aggregator.Ingest;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Aggregator.Tests;

/// <summary>One ack per settled prefix, against a real nats-server consumer with AckPolicy All.</summary>
public sealed class LaneAcksTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("lane-acks");
    private NatsServer _nats = null!;
    private NatsConnection _connection = null!;
    private NatsJSContext _js = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServer.StartAsync(_dir.Sub("nats"));
        _connection = new NatsConnection(new NatsOpts { Url = _nats.Url });
        _js = new NatsJSContext(_connection);
        await _js.CreateStreamAsync(new StreamConfig("LANE", ["lane.>"]));
        for (var i = 1; i <= 6; i++)
        {
            (await _js.PublishAsync("lane.votes", new byte[] { (byte)i })).EnsureSuccess();
        }
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _nats.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Acks_only_the_prefix_every_message_of_which_is_settled()
    {
        var consumer = await _js.CreateOrUpdateConsumerAsync("LANE", new ConsumerConfig("aggregator")
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = TimeSpan.FromSeconds(30),
        });
        var acks = new LaneAcks(_connection, TimeProvider.System, CancellationToken.None);
        var delivered = new List<INatsJSMsg<byte[]>>();
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 6, Expires = TimeSpan.FromSeconds(5) }))
        {
            Assert.True(acks.Delivered(message.Metadata!.Value.Sequence.Stream, message.Metadata!.Value.Sequence.Consumer));
            delivered.Add(message);
        }

        Assert.Equal(6, delivered.Count);

        // 2 and 3 are done, 1 is not: nothing may be acked, or 1 would be acked with them.
        Settle(acks, delivered[1]);
        Settle(acks, delivered[2]);
        await acks.FlushAsync(CancellationToken.None);
        Assert.Equal(0UL, await AckFloorAsync());

        // 1 done: 1 to 3 go with one ack. 4 is NAKed and holds back 5.
        Settle(acks, delivered[0]);
        await acks.NakAsync(delivered[3].ReplyTo!, TimeSpan.Zero, CancellationToken.None);
        Settle(acks, delivered[4]);
        await acks.FlushAsync(CancellationToken.None);
        // The server answers an ack once it has taken it, so the ack floor has moved already.
        Assert.Equal(3UL, await AckFloorAsync());

        // The redelivered 4 settles, which lets 5 go too; 6 was never settled.
        INatsJSMsg<byte[]>? redelivered = null;
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(5) }))
        {
            redelivered = message;
        }

        Assert.Equal(4UL, redelivered!.Metadata!.Value.Sequence.Stream);
        Assert.True(acks.Delivered(4, redelivered.Metadata!.Value.Sequence.Consumer));
        Settle(acks, redelivered);
        await acks.FlushAsync(CancellationToken.None);
        Assert.Equal(5UL, await AckFloorAsync());
        Assert.Equal(1, (await _js.GetConsumerAsync("LANE", "aggregator")).Info.NumAckPending);
    }

    [Fact]
    public async Task A_nak_with_a_delay_holds_the_redelivery_back_that_long()
    {
        // Only the last message, so nothing else can be delivered meanwhile.
        var consumer = await _js.CreateOrUpdateConsumerAsync("LANE", new ConsumerConfig("naked")
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(30),
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = 6,
        });
        string? replyTo = null;
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(5) }))
        {
            replyTo = message.ReplyTo;
        }

        var naked = DateTimeOffset.UtcNow;
        Assert.True(await JetStreamReplies.NakAsync(_connection, replyTo!, TimeSpan.FromSeconds(3), TimeProvider.System, CancellationToken.None,
            CancellationToken.None));
        // One pull request that outlives the delay: with a series of short ones, the redelivery could go to a request
        // the client had just given up on, and the message would then wait out the whole AckWait.
        ulong? redelivered = null;
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(10) }))
        {
            redelivered = message.Metadata!.Value.Sequence.Stream;
        }

        // The server keeps the message back for the delay: not a timing assertion on us, a check that it read the delay.
        Assert.Equal(6UL, redelivered);
        Assert.True(DateTimeOffset.UtcNow - naked >= TimeSpan.FromSeconds(2.5), "redelivered before the NAK's delay");
    }

    [Fact]
    public async Task A_lane_whose_consumer_was_replaced_sends_no_ack_to_the_consumer_of_the_same_name()
    {
        var consumer = await _js.CreateOrUpdateConsumerAsync("LANE", new ConsumerConfig("replaced")
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = TimeSpan.FromSeconds(30),
        });
        using var incarnation = new CancellationTokenSource();
        var acks = new LaneAcks(_connection, TimeProvider.System, incarnation.Token);
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 3, Expires = TimeSpan.FromSeconds(5) }))
        {
            acks.Delivered(message.Metadata!.Value.Sequence.Stream, message.Metadata!.Value.Sequence.Consumer);
            Settle(acks, message);
        }

        await incarnation.CancelAsync();
        await acks.FlushAsync(CancellationToken.None);
        await acks.NakAsync("$JS.ACK.LANE.replaced.1.1.1.0.0", TimeSpan.Zero, CancellationToken.None);
        await _connection.PingAsync();
        var info = (await _js.GetConsumerAsync("LANE", "replaced")).Info;
        Assert.Equal(0UL, info.AckFloor.StreamSeq);
        Assert.Equal(3, info.NumAckPending);
    }

    /// <summary>
    /// An aggregator that lost its lease may still pull from the lane's consumer for a moment; an ack of this lane's
    /// prefix would also ack what it took and will never apply.
    /// </summary>
    [Fact]
    public async Task A_delivery_taken_by_another_puller_is_noticed_before_any_ack_can_cover_it()
    {
        var consumer = await _js.CreateOrUpdateConsumerAsync("LANE", new ConsumerConfig("shared")
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            AckWait = TimeSpan.FromSeconds(30),
        });
        var acks = new LaneAcks(_connection, TimeProvider.System, CancellationToken.None);
        async Task<INatsJSMsg<byte[]>> NextAsync()
        {
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(5) }))
            {
                return message;
            }

            throw new InvalidOperationException("nothing delivered");
        }

        var ours = await NextAsync();
        Assert.True(acks.Delivered(ours.Metadata!.Value.Sequence.Stream, ours.Metadata!.Value.Sequence.Consumer));
        var taken = await NextAsync();
        var next = await NextAsync();

        Assert.Equal(2UL, taken.Metadata!.Value.Sequence.Consumer);
        Assert.False(acks.Delivered(next.Metadata!.Value.Sequence.Stream, next.Metadata!.Value.Sequence.Consumer));
        Settle(acks, ours);
        await acks.FlushAsync(CancellationToken.None);
        Assert.Equal(1UL, (await _js.GetConsumerAsync("LANE", "shared")).Info.AckFloor.StreamSeq);
    }

    private static void Settle(LaneAcks acks, INatsJSMsg<byte[]> message) => acks.Settle(message.Metadata!.Value.Sequence.Stream, message.ReplyTo!);

    private async Task<ulong> AckFloorAsync() => (await _js.GetConsumerAsync("LANE", "aggregator")).Info.AckFloor.StreamSeq;
}
