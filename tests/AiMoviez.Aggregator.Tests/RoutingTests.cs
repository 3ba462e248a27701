using System.Text.Json;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Tests;

public sealed class RoutingTests
{
    private static readonly ShardMap Map = new(new Topology
    {
        Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
        Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:2" },
        CatalogDatabase = "Host=127.0.0.1",
        Regions = [],
        Shards = [new ShardTopology { Name = "shard-1", ConnectionString = "x" }, new ShardTopology { Name = "shard-2", ConnectionString = "y" }],
        SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 10, Shards = ["shard-1", "shard-2"] }],
    });

    private static byte[] Cast(int seasonNumber, int schemaVersion = EventSchema.Version) => JsonSerializer.SerializeToUtf8Bytes(
        AggregatorFixture.Vote(seasonNumber, Guid.NewGuid(), Guid.NewGuid(), "user_1") with { SchemaVersion = schemaVersion },
        ContractsJson.Default.VoteCast);

    [Theory]
    [InlineData(1, "shard-1")]
    [InlineData(2, "shard-2")]
    [InlineData(7, "shard-1")]
    public void Vote_is_routed_by_season_number(int seasonNumber, string shard)
    {
        var decoded = MessageDecoder.Decode("votes.us-east.shard-1.cast", Cast(seasonNumber), Map);

        Assert.Equal(shard, decoded.Shard);
        Assert.IsType<VoteCast>(decoded.Event);
    }

    [Fact]
    public void Revokes_and_views_are_routed_like_votes()
    {
        var revoke = JsonSerializer.SerializeToUtf8Bytes(new VoteRevoked
        {
            VoteId = Guid.NewGuid(), SeasonId = Guid.NewGuid(), SeasonNumber = 2, SlotPosition = 1, ClipId = Guid.NewGuid(),
            VoterKey = "v", Region = "us-east", RevokedAt = DateTimeOffset.UtcNow,
        }, ContractsJson.Default.VoteRevoked);
        var views = JsonSerializer.SerializeToUtf8Bytes(new ClipViewsReported
        {
            BatchId = Guid.NewGuid(), SeasonId = Guid.NewGuid(), SeasonNumber = 3, Region = "us-east", At = DateTimeOffset.UtcNow,
            Views = [new ClipViewCount(Guid.NewGuid(), 4)],
        }, ContractsJson.Default.ClipViewsReported);

        Assert.Equal("shard-2", MessageDecoder.Decode("votes.us-east.shard-1.revoke", revoke, Map).Shard);
        Assert.Equal("shard-1", MessageDecoder.Decode("votes.us-east.shard-1.views", views, Map).Shard);
    }

    [Theory]
    [InlineData("votes.us-east.shard-1.cast", "{oops", "undecodable")]
    [InlineData("votes.us-east.shard-1.other", "{}", "unknown subject")]
    public void Undecodable_messages_are_poison(string subject, string body, string reason)
    {
        var decoded = MessageDecoder.Decode(subject, System.Text.Encoding.UTF8.GetBytes(body), Map);

        Assert.StartsWith(reason, decoded.PoisonReason);
    }

    [Fact]
    public void Unknown_schema_version_and_season_without_shard_are_poison()
    {
        Assert.Equal("unknown schema version 2", MessageDecoder.Decode("votes.us-east.shard-1.cast", Cast(1, schemaVersion: 2), Map).PoisonReason);
        Assert.Equal("no shard for season number 11", MessageDecoder.Decode("votes.us-east.shard-1.cast", Cast(11), Map).PoisonReason);
    }

    [Fact]
    public void Vote_that_the_shard_could_never_store_is_poison()
    {
        var vote = JsonSerializer.SerializeToUtf8Bytes(AggregatorFixture.Vote(1, Guid.NewGuid(), Guid.NewGuid(), "user_\0x"),
            ContractsJson.Default.VoteCast);

        Assert.Equal("vote with a NUL character", MessageDecoder.Decode("votes.us-east.shard-1.cast", vote, Map).PoisonReason);
    }
}
