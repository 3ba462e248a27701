using System.Net;
using AiMoviez.Contracts;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class BallotTests(EdgeStack stack)
{
    [Fact]
    public async Task Ballot_shows_least_viewed_first_voted_last_and_leaves_out_excluded()
    {
        var season = EdgeStack.NewSeason(10, SlotStatuses.Voting, TimeSpan.FromHours(1), 4, activatedHoursAgo: 0);
        var clips = season.Clips.Select(c => c.Id).ToArray();
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        await stack.Bus.PublishAsync(Subjects.Tally(season.Id), new SlotTally
        {
            SeasonId = season.Id,
            SlotPosition = 3,
            AsOf = DateTimeOffset.UtcNow,
            Clips = [new(clips[0], 5, 7, 1000), new(clips[1], 0, 0, 500), new(clips[2], 0, 0, 0), new(clips[3], 0, 0, 10)],
        });
        // Probed by a new voter each time: one voter's refused votes count in its rate window.
        await Eventually.UntilAsync(async () => (await stack.VoteAsync(EdgeStack.NewBrowser(), clips[1])).StatusCode == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(10), "the new season to reach the edge");
        var browser = EdgeStack.NewBrowser();
        await (await stack.VoteAsync(browser, clips[2])).AssertAcceptedAsync();

        var ballot = await Eventually.UntilAsync(
            async () => await (await stack.SendAsync(HttpMethod.Get, $"/v1/ballot?seasonId={season.Id}&limit=4", browser)).JsonAsync(),
            b => b.GetProperty("clips")[3].GetProperty("clipId").GetGuid() == clips[2]
                 && b.GetProperty("clips")[2].GetProperty("votes").GetInt64() == 5,
            TimeSpan.FromSeconds(10), "the ballot with the tally's views");
        Assert.Equal([clips[3], clips[1], clips[0], clips[2]],
            ballot.GetProperty("clips").EnumerateArray().Select(c => c.GetProperty("clipId").GetGuid()).ToArray());
        Assert.Equal(7, ballot.GetProperty("clips")[2].GetProperty("weightedScore").GetInt64());
        Assert.Equal([clips[2]], ballot.GetProperty("votedClipIds").EnumerateArray().Select(c => c.GetGuid()).ToArray());
        Assert.Equal("Season 10", ballot.GetProperty("seasonLabel").GetString());
        Assert.Equal(3, ballot.GetProperty("slotPosition").GetInt32());
        Assert.Equal(75, ballot.GetProperty("totalSlots").GetInt32());
        Assert.Equal(4, ballot.GetProperty("totalClipsInSlot").GetInt32());
        Assert.Equal(1, ballot.GetProperty("totalVotesToday").GetInt32());
        Assert.Equal(EdgeStack.DailyLimit - 1, ballot.GetProperty("remainingVotes").GetProperty("standard").GetInt32());
        Assert.False(ballot.GetProperty("hasMoreClips").GetBoolean());

        var limited = await (await stack.SendAsync(HttpMethod.Get, $"/v1/ballot?seasonId={season.Id}&limit=1&exclude={clips[3]},{clips[1]}", browser)).JsonAsync();
        Assert.Equal(clips[0], Assert.Single(limited.GetProperty("clips").EnumerateArray()).GetProperty("clipId").GetGuid());
        Assert.True(limited.GetProperty("hasMoreClips").GetBoolean());

        // A clip shown counts one view per voter and slot, reported in batches.
        await Eventually.UntilAsync(() => Task.FromResult(stack.Views.Where(v => v.SeasonId == season.Id)
                .SelectMany(v => v.Views).Where(v => v.ClipId == clips[0]).Sum(v => v.Views) >= 1),
            TimeSpan.FromSeconds(10), "the views to be reported");
        Assert.All(stack.Views.Where(v => v.SeasonId == season.Id), v => Assert.Equal(season.Number, v.SeasonNumber));
    }

    [Fact]
    public async Task Reloading_the_ballot_counts_each_clip_once_per_voter_and_another_voter_counts_again()
    {
        var season = EdgeStack.NewSeason(11, SlotStatuses.Voting, TimeSpan.FromHours(1), 3, activatedHoursAgo: 0);
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        var path = $"/v1/ballot?seasonId={season.Id}&limit=3";
        var browser = EdgeStack.NewBrowser();
        await Eventually.UntilAsync(async () => (await stack.SendAsync(HttpMethod.Get, path, browser)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "the new season to reach the edge");
        await (await stack.SendAsync(HttpMethod.Get, path, browser)).JsonAsync();
        await (await stack.SendAsync(HttpMethod.Get, path, browser)).JsonAsync();
        await (await stack.SendAsync(HttpMethod.Get, path, EdgeStack.NewBrowser())).JsonAsync();

        int Views(Guid clipId) => stack.Views.Where(v => v.SeasonId == season.Id).SelectMany(v => v.Views)
            .Where(v => v.ClipId == clipId).Sum(v => v.Views);
        await Eventually.UntilAsync(() => Task.FromResult(season.Clips.All(c => Views(c.Id) >= 2)),
            TimeSpan.FromSeconds(10), "the views of both voters to be reported");
        // A later report would only add views counted twice.
        var marker = EdgeStack.NewBrowser();
        await (await stack.SendAsync(HttpMethod.Get, path, marker)).JsonAsync();
        await Eventually.UntilAsync(() => Task.FromResult(season.Clips.All(c => Views(c.Id) >= 3)),
            TimeSpan.FromSeconds(10), "the third voter's views to be reported");
        Assert.All(season.Clips, c => Assert.Equal(3, Views(c.Id)));
    }

    [Fact]
    public async Task Ballot_defaults_to_the_most_recently_activated_season()
    {
        var ballot = await (await stack.SendAsync(HttpMethod.Get, "/v1/ballot", EdgeStack.NewBrowser())).JsonAsync();
        var newest = stack.Core.Snapshot.Seasons.OrderByDescending(s => s.ActivatedAt).First();
        Assert.Equal(newest.Id, ballot.GetProperty("seasonId").GetGuid());
        Assert.InRange(ballot.GetProperty("clips").GetArrayLength(), 1, 8);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=21")]
    [InlineData("limit=abc")]
    [InlineData("seasonId=not-a-uuid")]
    [InlineData("exclude=nope")]
    public async Task Bad_ballot_query_is_400(string query) =>
        await (await stack.SendAsync(HttpMethod.Get, "/v1/ballot?" + query, EdgeStack.NewBrowser()))
            .AssertProblemAsync(HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest);

    [Fact]
    public async Task Ballot_of_an_unknown_season_is_404() =>
        await (await stack.SendAsync(HttpMethod.Get, $"/v1/ballot?seasonId={Guid.NewGuid()}", EdgeStack.NewBrowser()))
            .AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
}
