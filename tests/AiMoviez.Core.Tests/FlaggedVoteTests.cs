using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

/// <summary>GET /v1/admin/votes/flagged reads every shard and merges them newest first (the review itself: EndToEnd).</summary>
[Collection(CoreCollection.Name)]
public sealed class FlaggedVoteTests(CoreFixture fixture)
{
    [Fact]
    public async Task Flagged_votes_of_every_shard_are_listed_newest_first_in_pages_with_flag_names()
    {
        var seasonId = Guid.NewGuid();
        var at = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        // Alternating shards, every other one unflagged; flags 1 headless, 2 burst at the limit, 4 many voter keys from an IP.
        var votes = Enumerable.Range(0, 6).Select(i => (Id: Guid.NewGuid(), Shard: i % 2 == 0 ? "shard-1" : "shard-2", Flags: i switch
        {
            0 => 1, 1 => 6, 2 => 0, 3 => 2, 4 => 5, _ => 0,
        }, At: at.AddSeconds(i))).ToList();
        foreach (var vote in votes)
        {
            await ShardSchema.ExecuteAsync(fixture.Stack.Shards[vote.Shard].ConnectionString("votes"), """
                insert into votes values ($1, $2, 1, $3, $3, 'device_abc', 'standard', 1, 'us-east', $4, false, $5, $5::date, 'counted', null, now())
                """, vote.Id, seasonId, Guid.NewGuid(), vote.Flags, vote.At);
        }

        var first = await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/admin/votes/flagged?seasonId={seasonId}&limit=3");
        var second = await fixture.Admin.GetFromJsonAsync<JsonObject>(
            $"/v1/admin/votes/flagged?seasonId={seasonId}&limit=3&cursor={(string)first!["nextCursor"]!}");

        var expected = votes.Where(v => v.Flags != 0).OrderByDescending(v => v.At).Select(v => v.Id).ToList();
        Assert.Equal(expected[..3], first["items"]!.AsArray().Select(i => (Guid)i!["voteId"]!));
        Assert.Equal(expected[3..], second!["items"]!.AsArray().Select(i => (Guid)i!["voteId"]!));
        Assert.Null(second["nextCursor"]);
        var newest = first["items"]![0]!;
        Assert.Equal(["headless", "many_voter_keys_from_ip"], newest["flags"]!.AsArray().Select(f => (string)f!));
        Assert.Equal(["burst_at_limit", "many_voter_keys_from_ip"], first["items"]![2]!["flags"]!.AsArray().Select(f => (string)f!));
        Assert.Equal("device_abc", (string?)newest["voterKey"]);
        Assert.Equal("us-east", (string?)newest["region"]);
        Assert.Equal("counted", (string?)newest["status"]);
        Assert.Equal(at.AddSeconds(4), (DateTime)newest["acceptedAt"]!);
    }

    [Fact]
    public async Task Flagged_votes_need_an_admin_and_a_valid_query()
    {
        using var anonymous = await fixture.Anonymous.GetAsync("/v1/admin/votes/flagged");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var user = await fixture.User.GetAsync("/v1/admin/votes/flagged");
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        foreach (var query in new[] { "limit=0", "limit=101", "seasonId=nope", "cursor=nope" })
        {
            using var response = await fixture.Admin.GetAsync("/v1/admin/votes/flagged?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }
}
