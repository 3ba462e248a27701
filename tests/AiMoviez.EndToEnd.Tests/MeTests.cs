using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// A signed-in voter's own view (CONTRACT.md section 5) through the real pipeline: what /v1/me reports agrees with the
/// tallies the aggregator counted, and erasing the account leaves the tallies as they were while the edges forget the voter.
/// </summary>
public sealed class MeTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task My_stats_and_votes_match_the_counted_tallies_and_erasing_me_leaves_the_tallies_as_they_were()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 3);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var userId = "e2e-me-" + Guid.NewGuid().ToString("N")[..8];
        var token = system.Stack.UserToken(userId);
        var (usEast, euWest) = (system.Edges["us-east"].BaseUrl, system.Edges["eu-west"].BaseUrl);

        var standard = await AcceptedAsync(usEast, clipIds[0], token, VoteTypes.Standard);
        var super = await AcceptedAsync(usEast, clipIds[1], token, VoteTypes.Super);
        var mega = await AcceptedAsync(euWest, clipIds[2], token, VoteTypes.Mega);
        using (var anonymous = await system.Http.SendAsync(SystemUnderTest.Vote(usEast, clipIds[0], voter: 9_101)))
        {
            Assert.Equal(HttpStatusCode.Accepted, anonymous.StatusCode);
        }

        foreach (var (edge, vote) in new[] { (usEast, standard), (usEast, super), (euWest, mega) })
        {
            await ReceiptAsync(edge, vote, VoteStatuses.Counted);
        }

        // Refused by the shard's rules: this voter's vote on that clip in another region is counted already.
        var twice = await AcceptedAsync(euWest, clipIds[0], token, VoteTypes.Standard);
        await ReceiptAsync(euWest, twice, VoteStatuses.Rejected);
        var tallies = await Eventually.UntilAsync(() => system.TalliesAsync(usEast, seasonId), t => t.Values.Sum() == 4, Wait, "every counted vote in the tally");

        var stats = await GetAsync(system.Core.BaseUrl + "/v1/me/stats", token);
        Assert.Equal(14, (long)stats["votesToday"]!);
        Assert.Equal(186, (long)stats["remainingToday"]!);
        Assert.Equal(3, (long)stats["totalVotes"]!);
        Assert.Equal(14, (long)stats["weightedTotal"]!);
        Assert.Equal(1, (int)stats["streakDays"]!);
        Assert.NotNull(stats["firstVoteAt"]);

        var votes = (await GetAsync(system.Core.BaseUrl + "/v1/me/votes", token))["items"]!.AsArray();
        Assert.Equal(
            new[] { twice, mega, super, standard }.Select(v => (string)v["voteId"]!),
            votes.Select(v => (string)v!["voteId"]!));
        Assert.Equal(["rejected", "counted", "counted", "counted"], votes.Select(v => (string)v!["status"]!));
        Assert.Equal([10, 3, 1], votes.Skip(1).Select(v => (int)v!["weight"]!));
        var counted = votes.Where(v => (string)v!["status"]! == "counted").GroupBy(v => Guid.Parse((string)v!["clipId"]!)).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.All(counted, c => Assert.True(tallies[c.Key] >= c.Value));

        // The genre vote is the voter's too: in the export, and kept in the counts after erasure like the votes.
        using (var genre = new HttpRequestMessage(HttpMethod.Put, usEast + "/v1/genre-vote") { Content = JsonContent.Create(new { genre = "Comedy" }) })
        {
            genre.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await system.Http.SendAsync(genre);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var exported = await Eventually.UntilAsync(() => GetAsync(system.Core.BaseUrl + "/v1/me/export", token),
            e => e["genreVote"] is JsonObject, Wait, "the genre vote in the export");
        Assert.Equal("Comedy", (string)exported["genreVote"]!["genre"]!);
        var genreCounts = await GenreCountsAsync();

        using (var erase = new HttpRequestMessage(HttpMethod.Delete, system.Core.BaseUrl + "/v1/me?confirm=DELETE%20MY%20ACCOUNT"))
        {
            erase.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await system.Http.SendAsync(erase);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await Eventually.UntilAsync(() => ScalarAsync(system.Stack.Topology.CatalogDatabase,
            "select count(*) from erasures where user_id = $1 and completed_at is not null", userId), n => n == 1, Wait, "the erasure to complete");

        Assert.Equal(tallies, await system.TalliesAsync(usEast, seasonId));
        Assert.Equal(genreCounts, await GenreCountsAsync());
        Assert.Null((await GetAsync(system.Core.BaseUrl + "/v1/me/export", token))["genreVote"]);
        var after = await GetAsync(system.Core.BaseUrl + "/v1/me/stats", token);
        Assert.Equal(0, (long)after["totalVotes"]!);
        Assert.Equal(200, (long)after["remainingToday"]!);
        Assert.Empty((await GetAsync(system.Core.BaseUrl + "/v1/me/votes", token))["items"]!.AsArray());
        foreach (var shard in system.Stack.Topology.Shards)
        {
            Assert.Equal(0, await ScalarAsync(shard.ConnectionString, "select count(*) from votes where voter_key = $1", "user_" + userId));
        }

        // The edges forgot the voter: no receipt, no day total, no vote on the slot's clips.
        foreach (var (edge, vote) in new[] { (usEast, standard), (euWest, mega) })
        {
            using var receipt = await system.Http.GetAsync($"{edge}/v1/votes/{(string)vote["voteId"]!}");
            Assert.Equal(HttpStatusCode.NotFound, receipt.StatusCode);
            var ballot = await GetAsync($"{edge}/v1/ballot?seasonId={seasonId}", token);
            Assert.Equal(0, (int)ballot["totalVotesToday"]!);
            Assert.Empty(ballot["votedClipIds"]!.AsArray());
        }
    }

    private async Task<string> GenreCountsAsync() =>
        (await GetAsync(system.Core.BaseUrl + "/v1/admin/genre-votes", system.Stack.AdminToken()))["counts"]!.ToJsonString();

    private async Task<JsonObject> AcceptedAsync(string edge, Guid clipId, string token, string voteType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, edge + "/v1/votes") { Content = JsonContent.Create(new { clipId, voteType }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await system.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{voteType} vote at {edge}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task ReceiptAsync(string edge, JsonObject accepted, string status) =>
        await Eventually.UntilAsync(
            async () => (await system.Http.GetFromJsonAsync<JsonObject>($"{edge}/v1/votes/{(string)accepted["voteId"]!}"))!,
            r => (string?)r["status"] == status, Wait, $"vote {accepted["voteId"]} at {edge} to be {status}");

    private async Task<JsonObject> GetAsync(string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await system.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql, object parameter)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
