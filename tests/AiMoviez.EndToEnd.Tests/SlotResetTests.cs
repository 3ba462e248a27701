using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// An admin's reset-votes gives the slot's voters their votes back at every edge (CONTRACT.md section 5): the vote per
/// clip, the super/mega of the slot and the day's weight, once, even for a region that was down at the time.
/// </summary>
public sealed class SlotResetTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_a_reset_its_voters_vote_again_at_every_edge_with_their_weight_and_super_vote_back()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        const int voter = 7_001;
        var (usEast, euWest) = (system.Edges["us-east"].BaseUrl, system.Edges["eu-west"].BaseUrl);

        // The same voter in two regions: counted in us-east (a super vote), refused by the shard's rules in eu-west, but
        // held in both regions' Redis.
        var super = await AcceptedAsync(usEast, clipIds[0], voter, VoteTypes.Super);
        Assert.Equal(3, (int)super["totalVotesToday"]!);
        Assert.Equal(0, (int)super["remainingVotes"]!["super"]!);
        await ReceiptAsync(usEast, super, VoteStatuses.Counted, null);
        var twice = await AcceptedAsync(euWest, clipIds[0], voter);
        var other = await AcceptedAsync(euWest, clipIds[1], voter);
        await ReceiptAsync(euWest, twice, VoteStatuses.Rejected, ErrorCodes.AlreadyVoted);
        await ReceiptAsync(euWest, other, VoteStatuses.Counted, null);
        Assert.Equal(HttpStatusCode.Conflict, await VoteAsync(usEast, clipIds[0], voter));

        await ResetAsync(seasonId);

        foreach (var edge in system.Edges.Values)
        {
            await Eventually.UntilAsync(() => system.TalliesAsync(edge.BaseUrl, seasonId), t => t.Values.All(v => v == 0),
                Wait, $"the zeroed tally at {edge.Name}");
        }

        await ReceiptAsync(usEast, super, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        await ReceiptAsync(euWest, twice, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        await ReceiptAsync(euWest, other, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        foreach (var edge in new[] { usEast, euWest })
        {
            var ballot = await BallotAsync(edge, seasonId, voter);
            Assert.Equal(0, (int)ballot["totalVotesToday"]!);
            Assert.Equal(200, (int)ballot["remainingVotes"]!["standard"]!);
            Assert.Equal(1, (int)ballot["remainingVotes"]!["super"]!);
            Assert.Empty(ballot["votedClipIds"]!.AsArray());
        }

        var again = await AcceptedAsync(usEast, clipIds[0], voter, VoteTypes.Super);
        Assert.Equal(3, (int)again["totalVotesToday"]!);
        Assert.Equal(197, (int)again["remainingVotes"]!["standard"]!);
        await AcceptedAsync(euWest, clipIds[0], voter);
        await AcceptedAsync(system.Edges["ap-south"].BaseUrl, clipIds[0], voter);
        await Eventually.UntilAsync(() => system.TalliesAsync(usEast, seasonId), t => t[clipIds[0]] == 1, Wait, "the new super vote counted");
    }

    [Fact]
    public async Task A_reset_delivered_twice_gives_the_weight_back_once()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 1);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        const int voter = 7_002;
        var usEast = system.Edges["us-east"].BaseUrl;
        var first = await AcceptedAsync(usEast, clipIds[0], voter);
        await ReceiptAsync(usEast, first, VoteStatuses.Counted, null);
        var removed = await StoredVoteAsync(seasonId, first);

        await ResetAsync(seasonId);
        await ReceiptAsync(usEast, first, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        var second = await AcceptedAsync(usEast, clipIds[0], voter);
        Assert.Equal(1, (int)second["totalVotesToday"]!);

        // A decision about the removed vote that reached the receipts late, then the same undo once more, as JetStream
        // would redeliver it, and the region's consumer caught up.
        await using var nats = new NatsConnection(new NatsOpts { Url = system.Stack.Nats["us-east"].Url });
        var jetStream = new NatsJSContext(nats);
        var late = new VoteDecisions { Decisions = [new VoteDecision(removed.VoteId, VoteStatuses.Counted, null)] };
        (await jetStream.PublishAsync(Subjects.Receipts("us-east"), JsonSerializer.SerializeToUtf8Bytes(late, ContractsJson.Default.VoteDecisions)))
            .EnsureSuccess();
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(system.Stack.Redis["us-east"].Endpoint))
        {
            await Eventually.UntilAsync(async () => (string?)await redis.GetDatabase().HashGetAsync(VoterBuckets.ReceiptKey(removed.VoteId), "status"),
                status => status == VoteStatuses.Counted, Wait, "the late decision to be written into the receipt");
        }

        // Read, the receipt stays what the reset made it.
        await ReceiptAsync(usEast, first, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new SlotVotesReset { SeasonId = seasonId, SlotPosition = 1, Votes = [removed] }, ContractsJson.Default.SlotVotesReset);
        (await jetStream.PublishAsync(Subjects.SlotResets("us-east"), payload)).EnsureSuccess();
        await Eventually.UntilAsync(async () =>
        {
            var consumer = await jetStream.GetConsumerAsync(StreamNames.Resets("us-east"), StreamNames.EdgeResetsConsumer);
            return consumer.Info is { NumPending: 0, NumAckPending: 0 };
        }, Wait, "the edges of us-east to apply the redelivered undo");

        var ballot = await BallotAsync(usEast, seasonId, voter);
        Assert.Equal(1, (int)ballot["totalVotesToday"]!);
        Assert.Equal([clipIds[0]], ballot["votedClipIds"]!.AsArray().Select(c => Guid.Parse((string)c!)));
        Assert.Equal(HttpStatusCode.Conflict, await VoteAsync(usEast, clipIds[0], voter));
        await ReceiptAsync(usEast, first, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        await ReceiptAsync(usEast, second, VoteStatuses.Counted, null);
    }

    [Fact]
    public async Task A_region_whose_nats_or_edge_was_down_during_the_reset_gives_the_votes_back_when_it_returns()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 1);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        const int voter = 7_003;
        var (euWest, apSouth) = (system.Edges["eu-west"], system.Edges["ap-south"]);
        var atEuWest = await AcceptedAsync(euWest.BaseUrl, clipIds[0], voter);
        await ReceiptAsync(euWest.BaseUrl, atEuWest, VoteStatuses.Counted, null);
        var atApSouth = await AcceptedAsync(apSouth.BaseUrl, clipIds[0], voter);
        await ReceiptAsync(apSouth.BaseUrl, atApSouth, VoteStatuses.Rejected, ErrorCodes.AlreadyVoted);

        system.Stack.Nats["eu-west"].Kill();
        apSouth.Kill();
        try
        {
            await ResetAsync(seasonId);
        }
        finally
        {
            await system.Stack.Nats["eu-west"].StartAsync();
            await apSouth.StartAsync();
        }

        foreach (var edge in new[] { euWest, apSouth })
        {
            await edge.WaitReadyAsync(Wait);
        }

        await ReceiptAsync(euWest.BaseUrl, atEuWest, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        await ReceiptAsync(apSouth.BaseUrl, atApSouth, VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        foreach (var edge in new[] { euWest, apSouth })
        {
            Assert.Equal(0, (int)(await BallotAsync(edge.BaseUrl, seasonId, voter))["totalVotesToday"]!);
            await AcceptedAsync(edge.BaseUrl, clipIds[0], voter);
        }
    }

    private async Task<HttpStatusCode> VoteAsync(string edge, Guid clip, int voter, string voteType = VoteTypes.Standard)
    {
        using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edge, clip, voter, voteType));
        return response.StatusCode;
    }

    private async Task<JsonObject> AcceptedAsync(string edge, Guid clip, int voter, string voteType = VoteTypes.Standard)
    {
        using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edge, clip, voter, voteType));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{voteType} vote at {edge}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Waits for the vote's receipt at its edge to say <paramref name="status"/> with <paramref name="reason"/>.</summary>
    private async Task ReceiptAsync(string edge, JsonObject accepted, string status, string? reason) =>
        await Eventually.UntilAsync(
            async () => (await system.Http.GetFromJsonAsync<JsonObject>($"{edge}/v1/votes/{(string)accepted["voteId"]!}"))!,
            r => (string?)r["status"] == status && (string?)r["reason"] == reason,
            Wait, $"vote {accepted["voteId"]} at {edge} to be {status} ({reason})");

    /// <summary>The voter's ballot, asked with the same headers as their votes so the edge derives the same voter key.</summary>
    private async Task<JsonObject> BallotAsync(string edge, Guid seasonId, int voter)
    {
        using var vote = SystemUnderTest.Vote(edge, Guid.Empty, voter);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{edge}/v1/ballot?seasonId={seasonId}");
        foreach (var header in vote.Headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        using var response = await system.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"ballot at {edge}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private async Task ResetAsync(Guid seasonId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{system.Core.BaseUrl}/v1/admin/seasons/{seasonId}/slots/1/reset-votes");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", system.Stack.AdminToken());
        using var response = await system.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>The vote as its shard stores it, in the shape a reset sends it to the edges.</summary>
    private async Task<ResetVote> StoredVoteAsync(Guid seasonId, JsonObject accepted)
    {
        var season = await system.Http.GetFromJsonAsync<JsonObject>($"{system.Core.BaseUrl}/v1/seasons/{seasonId}");
        var shard = new ShardMap(system.Stack.Topology).ShardFor((int)season!["number"]!)!;
        await using var connection = new NpgsqlConnection(system.Stack.Topology.Shard(shard).ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select vote_id, voter_key, clip_id, vote_type, weight, utc_day from votes where vote_id = $1", connection);
        command.Parameters.AddWithValue(Guid.Parse((string)accepted["voteId"]!));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return new ResetVote(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3), reader.GetInt32(4),
            reader.GetFieldValue<DateOnly>(5));
    }
}
