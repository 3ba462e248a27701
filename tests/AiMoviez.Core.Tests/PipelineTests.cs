using System.Net.Http.Json;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class PipelineTests(CoreFixture fixture)
{
    [Fact]
    public async Task Pipeline_reports_stream_depth_consumer_lag_oldest_age_and_shard_last_batch()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Stack.Nats["us-east"].Url });
        var js = new NatsJSContext(nats);
        var stream = StreamNames.Votes("us-east");
        await js.CreateOrUpdateStreamAsync(new StreamConfig(stream, [Subjects.VoteStreamSubjects("us-east")]));
        for (var i = 0; i < 3; i++)
        {
            (await js.PublishAsync(Subjects.VoteCast("us-east", "shard-1"), new byte[] { 1 })).EnsureSuccess();
        }

        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig(StreamNames.AggregatorConsumer("shard-1"))
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            FilterSubject = Subjects.VoteLane("us-east", "shard-1"),
        });
        await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1 }))
        {
            await message.AckAsync();
        }

        var lastBatch = DateTimeOffset.UtcNow.AddSeconds(-30);
        await ShardSchema.ExecuteAsync(fixture.Stack.Shards["shard-1"].ConnectionString("votes"),
            "insert into shard_status (shard, last_applied_at, votes_applied) values ('shard-1', $1, 42) on conflict (shard) do update set last_applied_at = excluded.last_applied_at, votes_applied = 42",
            lastBatch);

        var status = await Eventually.UntilAsync(
            async () => (await fixture.Admin.GetFromJsonAsync("/v1/admin/pipeline", ContractsJson.Default.PipelineStatus))!,
            s => s.Regions.Single().ConsumerLag == 2, TimeSpan.FromSeconds(10), "consumer lag to show");
        var region = status.Regions.Single();
        Assert.Equal("us-east", region.Region);
        Assert.True(region.Reachable);
        Assert.Equal(3UL, region.StreamDepth);
        Assert.NotNull(region.OldestUnprocessedAgeSeconds);
        Assert.InRange(region.OldestUnprocessedAgeSeconds!.Value, 0, 60);
        var shard = status.Shards.Single(s => s.Shard == "shard-1");
        Assert.True(shard.Healthy);
        Assert.Equal(42, shard.VotesApplied);
        Assert.Equal(lastBatch.ToUnixTimeMilliseconds(), shard.LastAppliedBatchAt!.Value.ToUnixTimeMilliseconds());
        Assert.Contains(status.Shards, s => s.Shard == "shard-2");
    }
}
