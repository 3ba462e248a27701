using System.Diagnostics;
using System.Threading.Channels;
using AiMoviez.Aggregator.Shards;

namespace AiMoviez.Aggregator.Tests;

public sealed class BatchCollectorTests
{
    [Fact]
    public async Task Batch_is_cut_at_its_size()
    {
        var channel = Channel.CreateUnbounded<int>();
        for (var i = 0; i < 10; i++)
        {
            channel.Writer.TryWrite(i);
        }

        var first = await BatchCollector.ReadAsync(channel.Reader, 4, TimeSpan.FromSeconds(5), CancellationToken.None);
        var second = await BatchCollector.ReadAsync(channel.Reader, 4, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal([0, 1, 2, 3], first);
        Assert.Equal([4, 5, 6, 7], second);
    }

    [Fact]
    public async Task Batch_is_cut_at_its_age_when_not_full()
    {
        var channel = Channel.CreateUnbounded<int>();
        channel.Writer.TryWrite(1);
        channel.Writer.TryWrite(2);
        var clock = Stopwatch.StartNew();

        var batch = await BatchCollector.ReadAsync(channel.Reader, 100, TimeSpan.FromMilliseconds(150), CancellationToken.None);

        Assert.Equal([1, 2], batch);
        Assert.InRange(clock.ElapsedMilliseconds, 140, 900);
    }

    [Fact]
    public async Task Items_arriving_within_the_age_join_the_batch()
    {
        var channel = Channel.CreateUnbounded<int>();
        channel.Writer.TryWrite(1);
        var reading = BatchCollector.ReadAsync(channel.Reader, 3, TimeSpan.FromSeconds(5), CancellationToken.None);
        channel.Writer.TryWrite(2);
        channel.Writer.TryWrite(3);

        Assert.Equal([1, 2, 3], await reading);
    }
}
