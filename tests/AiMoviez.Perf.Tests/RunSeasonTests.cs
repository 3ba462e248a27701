using System.Net;
using AiMoviez.Contracts;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

[Collection(PerfStackCollection.Name)]
public sealed class RunSeasonTests(PerfStack stack)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_run_votes_in_a_season_of_its_own_with_its_clips_voting_in_one_long_slot_and_deletes_only_that_one()
    {
        // Issue 18: someone testing 20-second slots activated the newest season, which the bench used to pick.
        var someoneElses = await stack.CreateVotingSeasonAsync(clips: 2, slotDurationSeconds: 20);
        using var http = LoopbackHttp.Create(8, TimeSpan.FromSeconds(30));
        var options = stack.Options() with { Clips = 5 };
        var runSeason = new RunSeason(http, stack.Addresses, options, "own" + Guid.NewGuid().ToString("N")[..5], options.AdminToken, options.CreatorToken);

        var id = await runSeason.IdAsync(None);

        Assert.NotEqual(someoneElses, id);
        Assert.Equal(id, runSeason.CreatedSeasonId);
        Assert.Equal(id, await runSeason.IdAsync(None));
        var (_, season) = await stack.GetAsync($"/v1/seasons/{id}");
        Assert.Equal("active", season!["status"]!.GetValue<string>());
        Assert.Equal(runSeason.Label, season["label"]!.GetValue<string>());
        Assert.Equal(1, season["totalSlots"]!.GetValue<int>());
        var slot = season["slots"]!.AsArray().Single()!;
        Assert.Equal(SlotStatuses.Voting, slot["status"]!.GetValue<string>());
        Assert.True(slot["votingEndsAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow + RunSeason.SlotDuration - TimeSpan.FromHours(1));

        var target = await new SeasonDiscovery(http, stack.Addresses).DiscoverAsync(id, options.Clips, None);
        Assert.Equal(5, target.Clips.Count);
        Assert.Equal(1, target.SlotPosition);
        foreach (var clipId in target.Clips)
        {
            var (_, clip) = await stack.GetAsync($"/v1/clips/{clipId}");
            Assert.Equal(id, clip!["seasonId"]!.GetValue<Guid>());
            Assert.Equal("active", clip["status"]!.GetValue<string>());
            Assert.Equal(1, clip["slotPosition"]!.GetValue<int>());
        }

        var deleted = await runSeason.DeleteCreatedAsync(None);

        Assert.StartsWith("deleted", deleted, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await stack.GetAsync($"/v1/seasons/{id}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await stack.GetAsync($"/v1/seasons/{someoneElses}")).Status);
    }

    [Fact]
    public async Task With_season_id_the_run_votes_in_that_season_and_creates_or_deletes_none()
    {
        var given = await stack.CreateVotingSeasonAsync(clips: 3, slotDurationSeconds: 3600);
        var seasonsBefore = await stack.SeasonCountAsync();
        using var http = LoopbackHttp.Create(8, TimeSpan.FromSeconds(30));
        var options = stack.Options() with { SeasonId = given, CreatorToken = null };
        var runSeason = new RunSeason(http, stack.Addresses, options, "given", options.AdminToken, creatorToken: null);

        var id = await runSeason.IdAsync(None);
        // The edges learn of a new season from core's catalog within a poll: discover once they serve it.
        var discovery = new SeasonDiscovery(http, stack.Addresses);
        var target = await Eventually.UntilAsync(async () =>
        {
            try
            {
                return await discovery.DiscoverAsync(id, options.Clips, None);
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, t => t is not null, TimeSpan.FromSeconds(20), "the edges to serve the given season");

        Assert.Equal(given, target!.SeasonId);
        Assert.Equal(3, target.Clips.Count);
        Assert.Null(runSeason.CreatedSeasonId);
        Assert.Null(await runSeason.DeleteCreatedAsync(None));
        Assert.Equal(seasonsBefore, await stack.SeasonCountAsync());
        Assert.Equal("active", (await stack.GetAsync($"/v1/seasons/{given}")).Body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_the_tokens_a_run_cannot_make_its_season_and_says_what_to_pass()
    {
        using var http = LoopbackHttp.Create(8, TimeSpan.FromSeconds(30));
        var options = stack.Options() with { AdminToken = null, CreatorToken = null };
        var runSeason = new RunSeason(http, stack.Addresses, options, "notokens", adminToken: null, creatorToken: null);
        var seasonsBefore = await stack.SeasonCountAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runSeason.IdAsync(None));

        Assert.Contains("--creator-token", error.Message, StringComparison.Ordinal);
        Assert.Contains("--season-id", error.Message, StringComparison.Ordinal);
        Assert.Equal(seasonsBefore, await stack.SeasonCountAsync());
    }
}
