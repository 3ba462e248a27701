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

    private static Decoded DecodeOne(string subject, byte[] data, ShardMap map) => Assert.Single(MessageDecoder.Decode(subject, data, map));

    private static byte[] Group(int schemaVersion, params VoteCast[] votes) =>
        JsonSerializer.SerializeToUtf8Bytes(new VoteCasts { SchemaVersion = schemaVersion, Votes = votes }, ContractsJson.Default.VoteCasts);

    [Theory]
    [InlineData(1, "shard-1")]
    [InlineData(2, "shard-2")]
    [InlineData(7, "shard-1")]
    public void Vote_is_routed_by_season_number(int seasonNumber, string shard)
    {
        var decoded = DecodeOne("votes.us-east.shard-1.cast", Cast(seasonNumber), Map);

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

        Assert.Equal("shard-2", DecodeOne("votes.us-east.shard-1.revoke", revoke, Map).Shard);
        Assert.Equal("shard-1", DecodeOne("votes.us-east.shard-1.views", views, Map).Shard);
    }

    [Theory]
    [InlineData("Comedy", null)]
    [InlineData(null, null)]
    [InlineData("comedy", "unknown genre comedy")]
    [InlineData("Western", "unknown genre Western")]
    public void Genre_votes_go_to_the_first_shard_and_only_known_genres_in_their_spelling(string? genre, string? poison)
    {
        var change = JsonSerializer.SerializeToUtf8Bytes(new GenreVoteChanged
        {
            ChangeId = Guid.NewGuid(), VoterKey = "user_1", Genre = genre, Sequence = 1, Region = "us-east", ChangedAt = DateTimeOffset.UtcNow,
        }, ContractsJson.Default.GenreVoteChanged);

        var decoded = DecodeOne("votes.us-east.unrouted.genre", change, Map);

        Assert.Equal(poison, decoded.PoisonReason);
        Assert.Equal(poison is null ? "shard-1" : null, decoded.Shard);
        Assert.IsType<GenreVoteChanged>(decoded.Event);
    }

    [Theory]
    [InlineData("votes.us-east.shard-1.cast", "{oops", "undecodable")]
    [InlineData("votes.us-east.shard-1.other", "{}", "unknown subject")]
    public void Undecodable_messages_are_poison(string subject, string body, string reason)
    {
        var decoded = DecodeOne(subject, System.Text.Encoding.UTF8.GetBytes(body), Map);

        Assert.StartsWith(reason, decoded.PoisonReason);
    }

    [Fact]
    public void Unknown_schema_version_and_season_without_shard_are_poison()
    {
        Assert.Equal("unknown schema version 2", DecodeOne("votes.us-east.shard-1.cast", Cast(1, schemaVersion: 2), Map).PoisonReason);
        Assert.Equal("no shard for season number 11", DecodeOne("votes.us-east.shard-1.cast", Cast(11), Map).PoisonReason);
    }

    [Fact]
    public void Vote_that_the_shard_could_never_store_is_poison()
    {
        var vote = JsonSerializer.SerializeToUtf8Bytes(AggregatorFixture.Vote(1, Guid.NewGuid(), Guid.NewGuid(), "user_\0x"),
            ContractsJson.Default.VoteCast);

        Assert.Equal("vote with a NUL character", DecodeOne("votes.us-east.shard-1.cast", vote, Map).PoisonReason);
    }

    [Fact]
    public void Each_vote_of_a_group_is_routed_or_found_poison_on_its_own()
    {
        var votes = new[]
        {
            AggregatorFixture.Vote(1, Guid.NewGuid(), Guid.NewGuid(), "user_1"),
            AggregatorFixture.Vote(2, Guid.NewGuid(), Guid.NewGuid(), "user_2"),
            AggregatorFixture.Vote(2, Guid.NewGuid(), Guid.NewGuid(), "user_3") with { VoteType = "ultra" },
            AggregatorFixture.Vote(11, Guid.NewGuid(), Guid.NewGuid(), "user_4"),
        };

        var decoded = MessageDecoder.Decode("votes.us-east.shard-1.casts", Group(EventSchema.Version, votes), Map);

        Assert.True(MessageDecoder.IsGroup("votes.us-east.shard-1.casts"));
        Assert.Equal(["shard-1", "shard-2", null, null], decoded.Select(d => d.Shard));
        Assert.Equal([null, null, "unknown vote type ultra", "no shard for season number 11"], decoded.Select(d => d.PoisonReason));
        // Each keeps its vote: a poison vote still gets its final word and is dead-lettered on its own.
        Assert.Equal(votes, decoded.Select(d => d.Event));
    }

    [Fact]
    public void A_group_of_an_unknown_version_keeps_its_votes_as_poison_and_an_empty_group_is_poison()
    {
        var vote = AggregatorFixture.Vote(1, Guid.NewGuid(), Guid.NewGuid(), "user_1");

        var unknown = MessageDecoder.Decode("votes.us-east.shard-1.casts", Group(2, vote, vote with { VoteId = Guid.NewGuid() }), Map);
        var empty = DecodeOne("votes.us-east.shard-1.casts", Group(EventSchema.Version), Map);

        Assert.All(unknown, d => Assert.Equal("unknown schema version 2", d.PoisonReason));
        Assert.Equal(vote, unknown[0].Event);
        Assert.Equal("empty message", empty.PoisonReason);
        Assert.Null(empty.Event);
    }
}
