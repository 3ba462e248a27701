using AiMoviez.Core.Slots;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiMoviez.Core.Tests;

/// <summary>Core with several aggregator instances sharing the shards (the HA layout's <c>aggregatorUrls</c>).</summary>
public sealed class AggregatorClientTests
{
    [Fact]
    public async Task A_reset_goes_on_to_the_instance_holding_the_shard_and_the_barrier_past_a_dead_one()
    {
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var standby = await FakeAggregator.StartAsync($"http://127.0.0.1:{FreePort.Next()}");
        await using var holder = await FakeAggregator.StartAsync($"http://127.0.0.1:{FreePort.Next()}");
        standby.HoldsShards = false;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var client = new AggregatorClient(http, new AggregatorUrls([dead, new Uri(standby.Url), new Uri(holder.Url)]),
            NullLogger<AggregatorClient>.Instance);
        var season = Guid.NewGuid();

        Assert.True(await client.ResetSlotAsync(season, 7, 2, CancellationToken.None));
        Assert.Empty(standby.Resets);
        Assert.Equal((season, 7, 2), Assert.Single(holder.Resets));

        Assert.True(await client.IsDrainedAsync(season, 7, CancellationToken.None));
        Assert.Single(standby.BarrierCalls);
        Assert.Empty(holder.BarrierCalls);
    }
}
