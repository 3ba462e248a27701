using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Tests;

/// <summary>The edge's publisher against the stack's real nats-server and vote stream.</summary>
[Collection(EdgeCollection.Name)]
public sealed class VotePublisherTests(EdgeStack stack)
{
    [Fact]
    public async Task Votes_arriving_while_a_publish_is_in_flight_go_out_together_and_each_is_stored_once()
    {
        var publisher = Publisher(stack.JetStream, EdgeStack.Region);
        var votes = Enumerable.Range(0, 200).Select(i => Vote($"user_grouped_{i}")).ToList();

        // The first vote finds its lane idle and goes out alone; the rest arrive while it is in flight.
        await Task.WhenAll(votes.Select(publisher.PublishAsync).ToList());

        var ids = votes.Select(v => v.VoteId).ToHashSet();
        await Eventually.UntilAsync(() => Task.FromResult(stack.Published.Count(ids.Contains)), n => n >= ids.Count, TimeSpan.FromSeconds(10),
            "every vote published");
        Assert.All(stack.Published.Where(ids.Contains).CountBy(id => id), c => Assert.Equal(1, c.Value));
        var groups = stack.Groups.Where(g => ids.Contains(g.Votes[0].VoteId)).ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.InRange(g.Votes.Count, 2, MaxVotesPerMessage));
        Assert.Equal(votes, votes.Select(v => stack.Casts[v.VoteId]));
    }

    [Fact]
    public async Task A_vote_finding_a_busy_lane_idle_waits_for_the_next_votes_and_goes_out_with_them()
    {
        var publisher = Publisher(stack.JetStream, EdgeStack.Region, linger: TimeSpan.FromMilliseconds(500));
        // The first vote goes out alone, the rest together: the lane's last message carried several votes.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => publisher.PublishAsync(Vote($"user_busy_{i}"))).ToList());

        var first = Vote("user_lingering_1");
        var firstStored = publisher.PublishAsync(first);
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        var second = Vote("user_lingering_2");
        await Task.WhenAll(firstStored, publisher.PublishAsync(second));

        await Eventually.UntilAsync(() => Task.FromResult(stack.Groups.Count(g => g.Votes.Any(v => v.VoteId == first.VoteId))), n => n > 0,
            TimeSpan.FromSeconds(10), "the lingering vote's message");
        var group = Assert.Single(stack.Groups, g => g.Votes.Any(v => v.VoteId == first.VoteId));
        Assert.Equal([first.VoteId, second.VoteId], group.Votes.Select(v => v.VoteId));
    }

    [Fact]
    public async Task When_the_stream_does_not_acknowledge_every_vote_of_the_group_fails()
    {
        // No stream holds this region's subjects: nats-server answers that nobody listens.
        var publisher = Publisher(stack.JetStream, "nowhere");

        var published = Enumerable.Range(0, 20).Select(i => publisher.PublishAsync(Vote($"user_unstored_{i}"))).ToList();

        foreach (var vote in published)
        {
            await Assert.ThrowsAsync<PublishFailedException>(() => vote);
        }
    }

    private const int MaxVotesPerMessage = 50;

    internal static VotePublisher Publisher(INatsJSContext jetStream, string region, TimeSpan? linger = null)
    {
        var topology = new Topology
        {
            Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
            CatalogDatabase = "Host=127.0.0.1",
            Regions = [new RegionTopology { Name = region, EdgeUrl = "http://127.0.0.1:1", Nats = "nats://127.0.0.1:1", Redis = "127.0.0.1:1" }],
            Shards = [new ShardTopology { Name = "shard-1", ConnectionString = "Host=127.0.0.1" }],
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1000, Shards = ["shard-1"] }],
        };
        return new VotePublisher(jetStream, topology.Regions[0], new ShardMap(topology),
            Options.Create(new EdgeOptions
            {
                Region = region, PublishTimeout = TimeSpan.FromSeconds(1), MaxVotesPerMessage = MaxVotesPerMessage,
                PublishLinger = linger ?? new EdgeOptions().PublishLinger,
            }), TimeProvider.System,
            new EdgeTelemetry(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>(), topology.Regions[0],
                new ShardMap(topology)));
    }

    internal static VoteCast Vote(string voter) => new()
    {
        VoteId = Guid.CreateVersion7(),
        SeasonId = Guid.NewGuid(),
        SeasonNumber = 1,
        SlotPosition = 1,
        ClipId = Guid.NewGuid(),
        CreatorId = Guid.NewGuid(),
        VoterKey = voter,
        VoteType = VoteTypes.Standard,
        Weight = 1,
        Region = EdgeStack.Region,
        AcceptedAt = DateTimeOffset.UtcNow,
        VotingEndsAt = DateTimeOffset.UtcNow.AddHours(1),
    };
}
