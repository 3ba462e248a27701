using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// An admin reviews the votes the edges flagged (CONTRACT.md section 5): listed across shards newest first, kept
/// (flags cleared) or discounted (rejected with FRAUD_REVIEW, out of the tallies, leaderboards and receipts say so).
/// This fixture's voters send no client hints, so the edges flag every vote as headless.
/// </summary>
public sealed class FlaggedVoteReviewTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Discounted_votes_leave_the_tallies_leaderboards_and_list_and_their_receipts_say_fraud_review()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var (usEast, euWest) = (system.Edges["us-east"].BaseUrl, system.Edges["eu-west"].BaseUrl);
        var first = await AcceptedAsync(usEast, clipIds[0], 8_001);
        var second = await AcceptedAsync(usEast, clipIds[0], 8_002);
        var third = await AcceptedAsync(euWest, clipIds[1], 8_003);
        await ReceiptAsync(usEast, first, VoteStatuses.Counted, null);
        await ReceiptAsync(usEast, second, VoteStatuses.Counted, null);
        await ReceiptAsync(euWest, third, VoteStatuses.Counted, null);

        var page = await AdminAsync(HttpMethod.Get, $"/v1/admin/votes/flagged?seasonId={seasonId}&limit=2");
        var items = page["items"]!.AsArray();
        Assert.Equal([third, second], items.Select(i => (Guid)i!["voteId"]!));
        var newest = items[0]!;
        Assert.Equal(clipIds[1], (Guid)newest["clipId"]!);
        Assert.Equal(seasonId, (Guid)newest["seasonId"]!);
        Assert.Equal(1, (int)newest["slotPosition"]!);
        Assert.Equal("eu-west", (string?)newest["region"]);
        Assert.Equal(VoteStatuses.Counted, (string?)newest["status"]);
        Assert.StartsWith("device_", (string?)newest["voterKey"]);
        Assert.Contains("headless", newest["flags"]!.AsArray().Select(f => (string?)f));
        var rest = await AdminAsync(HttpMethod.Get, $"/v1/admin/votes/flagged?seasonId={seasonId}&limit=2&cursor={(string)page["nextCursor"]!}");
        Assert.Equal([first], rest["items"]!.AsArray().Select(i => (Guid)i!["voteId"]!));
        Assert.Null(rest["nextCursor"]);

        var discounted = await AdminAsync(HttpMethod.Post, "/v1/admin/votes/flagged/review", new { voteIds = new[] { first, third }, action = "discount" });
        Assert.All(discounted["items"]!.AsArray(), i =>
        {
            Assert.Equal(VoteStatuses.Rejected, (string?)i!["status"]);
            Assert.Empty(i["flags"]!.AsArray());
        });

        foreach (var edge in system.Edges.Values)
        {
            await Eventually.UntilAsync(() => system.TalliesAsync(edge.BaseUrl, seasonId), t => t[clipIds[0]] == 1 && t[clipIds[1]] == 0,
                Wait, $"the discounted votes out of the tally at {edge.Name}");
        }

        await ReceiptAsync(usEast, first, VoteStatuses.Rejected, VoteReviewRequest.FraudReviewReason);
        await ReceiptAsync(euWest, third, VoteStatuses.Rejected, VoteReviewRequest.FraudReviewReason);
        await ReceiptAsync(usEast, second, VoteStatuses.Counted, null);
        await Eventually.UntilAsync(() => system.Http.GetFromJsonAsync<JsonObject>(
                $"{system.Core.BaseUrl}/v1/leaderboards/clips?seasonId={seasonId}&period=all"),
            board => board!["items"]!.AsArray().Where(i => (Guid?)i!["clipId"] == clipIds[0]).Select(i => (long)i!["votes"]!).SingleOrDefault() == 1
                     && board["items"]!.AsArray().Where(i => (Guid?)i!["clipId"] == clipIds[1]).All(i => (long)i!["votes"]! == 0),
            Wait, "the clip leaderboard without the discounted votes");

        Assert.Equal([second], (await AdminAsync(HttpMethod.Get, $"/v1/admin/votes/flagged?seasonId={seasonId}"))["items"]!.AsArray()
            .Select(i => (Guid)i!["voteId"]!));
        var kept = await AdminAsync(HttpMethod.Post, "/v1/admin/votes/flagged/review", new { voteIds = new[] { second }, action = "keep" });
        Assert.Equal(VoteStatuses.Counted, (string?)kept["items"]![0]!["status"]);
        Assert.Empty((await AdminAsync(HttpMethod.Get, $"/v1/admin/votes/flagged?seasonId={seasonId}"))["items"]!.AsArray());
        Assert.Equal(1, (await system.TalliesAsync(usEast, seasonId))[clipIds[0]]);

        var audit = await AdminAsync(HttpMethod.Get, "/v1/admin/audit-logs?limit=20");
        var actions = audit["items"]!.AsArray().Select(i => (string?)i!["action"]).ToList();
        Assert.Contains("votes.review_discount", actions);
        Assert.Contains("votes.review_keep", actions);
    }

    [Fact]
    public async Task A_review_refused_for_bad_input_unknown_votes_or_a_locked_slot_changes_nothing()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 1);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var usEast = system.Edges["us-east"].BaseUrl;
        var vote = await AcceptedAsync(usEast, clipIds[0], 8_101);
        await ReceiptAsync(usEast, vote, VoteStatuses.Counted, null);

        foreach (var body in new object[]
        {
            new { voteIds = new[] { vote }, action = "delete" },
            new { voteIds = Array.Empty<Guid>(), action = "discount" },
            new { voteIds = new[] { "not-a-uuid" }, action = "discount" },
            new { action = "keep" },
        })
        {
            await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/v1/admin/votes/flagged/review", body), HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        }

        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/v1/admin/votes/flagged?seasonId=nope"), HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/v1/admin/votes/flagged?cursor=nope"), HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/v1/admin/votes/flagged/review",
            new { voteIds = new[] { vote, Guid.NewGuid() }, action = "discount" }), HttpStatusCode.NotFound, ErrorCodes.NotFound);

        using (var advance = await SendAsync(HttpMethod.Post, $"/v1/admin/seasons/{seasonId}/slots/1/advance"))
        {
            Assert.Equal(HttpStatusCode.OK, advance.StatusCode);
        }

        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/v1/admin/votes/flagged/review",
            new { voteIds = new[] { vote }, action = "discount" }), HttpStatusCode.Conflict, ErrorCodes.Conflict);

        var listed = (await AdminAsync(HttpMethod.Get, $"/v1/admin/votes/flagged?seasonId={seasonId}"))["items"]!.AsArray();
        Assert.Equal(VoteStatuses.Counted, (string?)Assert.Single(listed)!["status"]);
        await ReceiptAsync(usEast, vote, VoteStatuses.Counted, null);
    }

    /// <summary>
    /// A 503 recorded nothing (the contract), so a client may send the vote again: a freshly started edge's first Redis
    /// calls can miss their deadline on a busy machine, which is not what this class tests.
    /// </summary>
    private async Task<Guid> AcceptedAsync(string edge, Guid clip, int voter)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edge, clip, voter));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 3)
            {
                continue;
            }

            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"vote at {edge}: {(int)response.StatusCode} {body}");
            return (Guid)JsonNode.Parse(body)!["voteId"]!;
        }
    }

    private async Task ReceiptAsync(string edge, Guid voteId, string status, string? reason) =>
        await Eventually.UntilAsync(
            async () => (await system.Http.GetFromJsonAsync<JsonObject>($"{edge}/v1/votes/{voteId}"))!,
            r => (string?)r["status"] == status && (string?)r["reason"] == reason,
            Wait, $"vote {voteId} at {edge} to be {status} ({reason})");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, system.Core.BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", system.Stack.AdminToken());
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await system.Http.SendAsync(request);
    }

    private async Task<JsonObject> AdminAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal(code, (string?)JsonNode.Parse(text)!["code"]);
        }
    }
}
