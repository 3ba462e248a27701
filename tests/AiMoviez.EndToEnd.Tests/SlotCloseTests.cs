using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>Core closes a slot only after the real aggregator applied every vote the edges accepted before the close.</summary>
public sealed class SlotCloseTests(SystemUnderTest system) : IClassFixture<SystemUnderTest>
{
    [Fact]
    public async Task The_winner_is_chosen_only_after_the_last_accepted_votes_are_counted()
    {
        var (seasonId, clipIds) = await system.CreateVotingSeasonAsync(clipCount: 2, slotDurationSeconds: 10);
        await system.WaitUntilEdgesServeAsync(seasonId, clipIds.Count);
        var (early, late) = (clipIds[0], clipIds[1]);
        var edges = system.Edges.Values.Select(e => e.BaseUrl).ToArray();

        Assert.Equal(200, await CastAsync(edges, early, voters: Enumerable.Range(0, 200)));
        await Eventually.UntilAsync(async () => (await system.TalliesAsync(edges[0], seasonId))[early] == 200,
            TimeSpan.FromSeconds(10), "the early votes to be counted");

        // With the aggregator frozen, the late votes are accepted (in JetStream) but not yet counted when the slot ends.
        Signal(system.Aggregator.Pid!.Value, "STOP");
        try
        {
            Assert.Equal(300, await CastAsync(edges, late, voters: Enumerable.Range(1_000, 300)));
            var endsAt = await VotingEndsAtAsync(seasonId);
            await Eventually.UntilAsync(() => Task.FromResult(DateTime.UtcNow > endsAt.AddSeconds(4)),
                TimeSpan.FromSeconds(20), "the slot's time to run out");

            using var closed = await system.Http.SendAsync(SystemUnderTest.Vote(edges[0], late, voter: 5_000));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, closed.StatusCode);
            Assert.Contains(ErrorCodes.VotingClosed, await closed.Content.ReadAsStringAsync());
            Assert.Equal(SlotStatuses.Voting, (string)(await SlotAsync(seasonId, 1))["status"]!);
        }
        finally
        {
            Signal(system.Aggregator.Pid!.Value, "CONT");
        }

        var slot = await Eventually.UntilAsync(() => SlotAsync(seasonId, 1), s => (string)s["status"]! == SlotStatuses.Locked,
            TimeSpan.FromSeconds(30), "slot 1 to lock");
        Assert.Equal(late, Guid.Parse((string)slot["winnerClipId"]!));
        var counted = await ShardTallyAsync(seasonId, slotPosition: 1);
        Assert.Equal(200, counted[early]);
        Assert.Equal(300, counted[late]);
    }

    private async Task<int> CastAsync(string[] edges, Guid clip, IEnumerable<int> voters)
    {
        var accepted = 0;
        await Parallel.ForEachAsync(voters, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (voter, ct) =>
        {
            using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edges[voter % edges.Length], clip, voter), ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                Interlocked.Increment(ref accepted);
            }
        });
        return accepted;
    }

    private async Task<JsonObject> SlotAsync(Guid seasonId, int position)
    {
        var season = await system.Http.GetFromJsonAsync<JsonObject>($"{system.Core.BaseUrl}/v1/seasons/{seasonId}");
        return season!["slots"]!.AsArray().Select(s => s!.AsObject()).Single(s => (int)s["position"]! == position);
    }

    private async Task<DateTime> VotingEndsAtAsync(Guid seasonId) =>
        DateTime.Parse((string)(await SlotAsync(seasonId, 1))["votingEndsAt"]!, null, System.Globalization.DateTimeStyles.AdjustToUniversal);

    private async Task<Dictionary<Guid, long>> ShardTallyAsync(Guid seasonId, int slotPosition)
    {
        var season = await system.Http.GetFromJsonAsync<JsonObject>($"{system.Core.BaseUrl}/v1/seasons/{seasonId}");
        var shard = new ShardMap(system.Stack.Topology).ShardFor((int)season!["number"]!)!;
        await using var connection = new NpgsqlConnection(system.Stack.Topology.Shard(shard).ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select clip_id, votes from tallies where season_id = $1 and slot_position = $2", connection);
        command.Parameters.AddWithValue(seasonId);
        command.Parameters.AddWithValue(slotPosition);
        var tally = new Dictionary<Guid, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tally[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return tally;
    }

    private static void Signal(int pid, string signal) =>
        ExternalProcess.RunAsync("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).GetAwaiter().GetResult();
}
