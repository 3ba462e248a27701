using AiMoviez.Contracts;

namespace AiMoviez.Contracts.Tests;

public sealed class ShardMapTests
{
    private static Topology TopologyWith(params SeasonShardRange[] ranges) => new()
    {
        Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
        Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:2" },
        CatalogDatabase = "Host=127.0.0.1",
        Regions = [],
        Shards = [new ShardTopology { Name = "a", ConnectionString = "x" }, new ShardTopology { Name = "b", ConnectionString = "y" }, new ShardTopology { Name = "c", ConnectionString = "z" }],
        SeasonShards = ranges,
    };

    [Fact]
    public void Spreads_seasons_of_a_range_round_robin()
    {
        var map = new ShardMap(TopologyWith(new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["a", "b"] }));

        Assert.Equal(new[] { "a", "b", "a", "b" }, new[] { map.ShardFor(1), map.ShardFor(2), map.ShardFor(3), map.ShardFor(4) });
    }

    [Fact]
    public void Appended_range_moves_no_existing_season()
    {
        var before = new ShardMap(TopologyWith(new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["a", "b"] }));
        var after = new ShardMap(TopologyWith(
            new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["a", "b"] },
            new SeasonShardRange { FromSeason = 11, ToSeason = 20, Shards = ["c"] }));

        Assert.All(Enumerable.Range(1, 10), n => Assert.Equal(before.ShardFor(n), after.ShardFor(n)));
        Assert.Equal("c", after.ShardFor(11));
    }

    [Fact]
    public void Season_outside_every_range_has_no_shard()
    {
        var map = new ShardMap(TopologyWith(new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["a"] }));

        Assert.Null(map.ShardFor(11));
    }

    [Fact]
    public void Lane_is_the_shard_or_unrouted()
    {
        var map = new ShardMap(TopologyWith(new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["a", "b"] }));

        Assert.Equal("b", map.LaneFor(2));
        Assert.Equal(Subjects.UnroutedLane, map.LaneFor(11));
        Assert.Equal("votes.us-east.b.cast", Subjects.VoteCast("us-east", map.LaneFor(2)));
    }

    [Theory]
    [InlineData("shard.1")]
    [InlineData("shard 1")]
    [InlineData("*")]
    [InlineData("unrouted")]
    public void Shard_name_that_is_not_one_subject_token_is_refused(string name)
    {
        var topology = TopologyWith() with { Shards = [new ShardTopology { Name = name, ConnectionString = "x" }] };

        Assert.Throws<ArgumentException>(() => new ShardMap(topology));
    }

    [Fact]
    public void Range_naming_an_unknown_shard_is_refused()
    {
        Assert.Throws<KeyNotFoundException>(() => new ShardMap(TopologyWith(new SeasonShardRange { FromSeason = 1, ToSeason = 2, Shards = ["nope"] })));
    }

    [Fact]
    public void The_repository_topology_loads_and_maps_the_demo_seasons()
    {
        var topology = TopologyFile.Load(RepoPaths.RegionsFile);
        var map = new ShardMap(topology);

        Assert.Equal(new[] { "us-east", "eu-west", "ap-south" }, topology.Regions.Select(r => r.Name));
        Assert.Equal("shard-1", map.ShardFor(1));
        Assert.Equal("shard-2", map.ShardFor(2));
    }
}
