using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Core.Slots;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class SlotLifecycleTests(CoreFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Timer_waits_for_the_barrier_then_locks_the_highest_score_and_carries_losers_over_with_fresh_counts()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 3, slotDurationSeconds: 2);
        var a = await ApprovedClipAsync(season.Id());
        var b = await ApprovedClipAsync(season.Id());
        var c = await ApprovedClipAsync(season.Id());
        var shard = fixture.ShardOf(season["number"]!.GetValue<int>());
        // Slot 1: A has more votes, B more weight; slot 2 (written ahead, tallies are keyed by slot): only C has a vote.
        await WriteTallyAsync(shard, season.Id(), 1, a, votes: 5, weighted: 5);
        await WriteTallyAsync(shard, season.Id(), 1, b, votes: 2, weighted: 12);
        await WriteTallyAsync(shard, season.Id(), 2, c, votes: 1, weighted: 1);
        fixture.Aggregator.SetDrained(season.Id(), false);

        var active = await fixture.ActivateAsync(season.Id());
        var endsAt = active["slots"]![0]!["votingEndsAt"]!.GetValue<DateTimeOffset>();

        // Core keeps asking while the barrier is not drained, never before votingEndsAt + grace, and chooses nothing.
        await Eventually.UntilAsync(() => Task.FromResult(fixture.Aggregator.BarrierCalls.Count(x => x.SeasonId == season.Id()) >= 3),
            Patience, "core to ask the barrier repeatedly");
        Assert.All(fixture.Aggregator.BarrierCalls.Where(x => x.SeasonId == season.Id()),
            call => Assert.True(call.At >= endsAt.AddSeconds(0.4), $"asked at {call.At:O}, before {endsAt:O} + grace"));
        Assert.Equal(season["number"]!.GetValue<int>(), fixture.Aggregator.BarrierCalls.First(x => x.SeasonId == season.Id()).SeasonNumber);
        var waiting = await fixture.GetSeasonAsync(season.Id());
        Assert.Equal("voting", waiting["slots"]![0]!["status"]!.GetValue<string>());

        fixture.Aggregator.SetDrained(season.Id(), true);
        var afterSlot1 = await Eventually.UntilAsync(() => fixture.GetSeasonAsync(season.Id()),
            s => s["slots"]![0]!["status"]!.GetValue<string>() == "locked", Patience, "slot 1 to lock");
        Assert.Equal(b, afterSlot1["slots"]![0]!["winnerClipId"]!.GetValue<Guid>());

        var finished = await Eventually.UntilAsync(() => fixture.GetSeasonAsync(season.Id()),
            s => s["status"]!.GetValue<string>() == "finished", Patience, "the season to finish");
        Assert.Equal([b, c, a], finished["slots"]!.AsArray().Select(s => s!["winnerClipId"]!.GetValue<Guid>()));
        // The story page: each winner with its title, media and final counts (A's 5 votes were slot 1's, not slot 3's).
        var storyWinners = finished["slots"]!.AsArray().Select(s => s!["winner"]!).ToList();
        Assert.Equal([b, c, a], storyWinners.Select(w => w["clipId"]!.GetValue<Guid>()));
        Assert.Equal([2L, 1L, 0L], storyWinners.Select(w => w["votes"]!.GetValue<long>()));
        Assert.Equal([12L, 1L, 0L], storyWinners.Select(w => w["weightedScore"]!.GetValue<long>()));
        Assert.All(storyWinners, w =>
        {
            Assert.Equal("A clip", w["title"]!.GetValue<string>());
            Assert.Equal("https://cdn.example.com/v.mp4", w["videoUrl"]!.GetValue<string>());
            Assert.Equal("/thumbs/t.jpg", w["thumbnailUrl"]!.GetValue<string>());
            Assert.NotEqual(Guid.Empty, w["creatorId"]!.GetValue<Guid>());
        });
        Assert.All(finished["slots"]!.AsArray(), s => Assert.Equal("locked", s!["status"]!.GetValue<string>()));
        foreach (var (clip, position) in new[] { (b, 1), (c, 2), (a, 3) })
        {
            var read = (await fixture.Anonymous.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip}"))!;
            Assert.Equal("locked", read["status"]!.GetValue<string>());
            Assert.Equal(position, read["slotPosition"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Ties_go_to_more_votes_then_earlier_approval_then_lower_id()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 3, slotDurationSeconds: 600);
        var early = await ApprovedClipAsync(season.Id());
        var late = await ApprovedClipAsync(season.Id());
        var fewerVotes = await ApprovedClipAsync(season.Id());
        var shard = fixture.ShardOf(season["number"]!.GetValue<int>());
        await WriteTallyAsync(shard, season.Id(), 1, early, votes: 4, weighted: 10);
        await WriteTallyAsync(shard, season.Id(), 1, late, votes: 4, weighted: 10);
        await WriteTallyAsync(shard, season.Id(), 1, fewerVotes, votes: 1, weighted: 10);
        await fixture.ActivateAsync(season.Id());

        var slot1 = await AdvanceAsync(season.Id(), 1);
        Assert.Equal(early, slot1["slots"]![0]!["winnerClipId"]!.GetValue<Guid>());

        // Bulk approval shares one approval time: the lower id decides.
        var x = (await fixture.CreateClipAsync(season.Id())).Id();
        var y = (await fixture.CreateClipAsync(season.Id())).Id();
        using var bulk = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk", new { action = "approve", clipIds = new[] { x, y } });
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        foreach (var clip in new[] { late, fewerVotes, x, y })
        {
            await WriteTallyAsync(shard, season.Id(), 2, clip, votes: 3, weighted: 9);
        }

        await WriteTallyAsync(shard, season.Id(), 2, late, votes: 2, weighted: 9);
        await WriteTallyAsync(shard, season.Id(), 2, fewerVotes, votes: 2, weighted: 9);
        var slot2 = await AdvanceAsync(season.Id(), 2);
        var lowerId = string.CompareOrdinal(x.ToString(), y.ToString()) < 0 ? x : y;
        Assert.Equal(lowerId, slot2["slots"]![1]!["winnerClipId"]!.GetValue<Guid>());
    }

    [Fact]
    public void Winner_choice_orders_by_score_votes_approval_and_id()
    {
        var t = DateTime.UtcNow;
        var low = Guid.Parse("00000000-0000-0000-0000-0000000000aa");
        var high = Guid.Parse("ff000000-0000-0000-0000-000000000001");
        Assert.Equal(high, WinnerChoice.Choose([new(low, t, 100, 5), new(high, t, 1, 6)]).ClipId);
        Assert.Equal(high, WinnerChoice.Choose([new(low, t, 1, 6), new(high, t, 2, 6)]).ClipId);
        Assert.Equal(high, WinnerChoice.Choose([new(low, t.AddSeconds(1), 2, 6), new(high, t, 2, 6)]).ClipId);
        Assert.Equal(low, WinnerChoice.Choose([new(high, t, 2, 6), new(low, t, 2, 6)]).ClipId);
    }

    [Fact]
    public async Task Assign_winner_locks_now_and_validates()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 2, slotDurationSeconds: 600);
        var a = await ApprovedClipAsync(season.Id());
        var b = await ApprovedClipAsync(season.Id());
        await fixture.ActivateAsync(season.Id());
        var url = $"/v1/admin/seasons/{season.Id()}/slots/1/assign-winner";

        using var unknownClip = await fixture.Admin.PostAsJsonAsync(url, new { clipId = Guid.NewGuid() });
        await unknownClip.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");
        using var noClip = await fixture.Admin.PostAsJsonAsync(url, new { });
        await noClip.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var noSlot = await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{season.Id()}/slots/9/assign-winner", new { clipId = b });
        await noSlot.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var noSeason = await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{Guid.NewGuid()}/slots/1/assign-winner", new { clipId = b });
        await noSeason.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var notVoting = await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{season.Id()}/slots/2/assign-winner", new { clipId = b });
        await notVoting.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");

        await WriteTallyAsync(fixture.ShardOf(season["number"]!.GetValue<int>()), season.Id(), 1, b, votes: 3, weighted: 7);
        using var response = await fixture.Admin.PostAsJsonAsync(url, new { clipId = b });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var locked = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(b, locked["slots"]![0]!["winnerClipId"]!.GetValue<Guid>());
        Assert.Equal(3, locked["slots"]![0]!["winner"]!["votes"]!.GetValue<long>());
        Assert.Equal(7, locked["slots"]![0]!["winner"]!["weightedScore"]!.GetValue<long>());
        Assert.Null(locked["slots"]![1]!["winner"]);
        Assert.Equal("voting", locked["slots"]![1]!["status"]!.GetValue<string>());
        Assert.Equal(2, (await fixture.Anonymous.GetFromJsonAsync<JsonObject>($"/v1/clips/{a}"))!["slotPosition"]!.GetValue<int>());
    }

    [Fact]
    public async Task Advance_waits_for_the_barrier_and_refuses_a_slot_that_is_not_voting()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 2, slotDurationSeconds: 600);
        var a = await ApprovedClipAsync(season.Id());
        await ApprovedClipAsync(season.Id());
        await WriteTallyAsync(fixture.ShardOf(season["number"]!.GetValue<int>()), season.Id(), 1, a, 1, 1);
        await fixture.ActivateAsync(season.Id());
        using var notVoting = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/2/advance", null);
        await notVoting.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
        using var noSlot = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/0/advance", null);
        await noSlot.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");

        fixture.Aggregator.SetDrained(season.Id(), false);
        var advancing = fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/1/advance", null);
        await Eventually.UntilAsync(() => Task.FromResult(fixture.Aggregator.BarrierCalls.Count(x => x.SeasonId == season.Id()) >= 2),
            Patience, "advance to ask the barrier");
        Assert.Equal("voting", (await fixture.GetSeasonAsync(season.Id()))["slots"]![0]!["status"]!.GetValue<string>());
        fixture.Aggregator.SetDrained(season.Id(), true);
        using var response = await advancing;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var advanced = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("locked", advanced["slots"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(a, advanced["slots"]![0]!["winnerClipId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Unlock_reopens_the_latest_locked_slot_and_brings_the_clips_back()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 3, slotDurationSeconds: 600);
        var a = await ApprovedClipAsync(season.Id());
        var b = await ApprovedClipAsync(season.Id());
        await fixture.ActivateAsync(season.Id());
        using var notLocked = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/1/unlock", null);
        await notLocked.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
        using (await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{season.Id()}/slots/1/assign-winner", new { clipId = a }))
        {
        }

        using var response = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/1/unlock", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reopened = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("voting", reopened["slots"]![0]!["status"]!.GetValue<string>());
        Assert.Null(reopened["slots"]![0]!["winnerClipId"]);
        Assert.Null(reopened["slots"]![0]!["winner"]);
        Assert.InRange(reopened["slots"]![0]!["votingEndsAt"]!.GetValue<DateTimeOffset>(), DateTimeOffset.UtcNow.AddSeconds(590), DateTimeOffset.UtcNow.AddSeconds(610));
        Assert.Equal("upcoming", reopened["slots"]![1]!["status"]!.GetValue<string>());
        foreach (var clip in new[] { a, b })
        {
            var read = (await fixture.Anonymous.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip}"))!;
            Assert.Equal("active", read["status"]!.GetValue<string>());
            Assert.Equal(1, read["slotPosition"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Reset_votes_asks_the_aggregator_for_that_slot()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 2, slotDurationSeconds: 600);
        using var response = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/2/reset-votes", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains((season.Id(), season["number"]!.GetValue<int>(), 2), fixture.Aggregator.Resets);
        using var noSlot = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/slots/3/reset-votes", null);
        await noSlot.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Two_core_instances_never_advance_the_same_slot_twice()
    {
        var (second, _) = await fixture.StartExtraCoreAsync("core-2", CoreFixture.FastLoops);
        await using var stopSecond = second;
        var seasons = new List<(Guid Id, List<Guid> Clips)>();
        for (var s = 0; s < 3; s++)
        {
            var season = await fixture.CreateSeasonAsync(totalSlots: 3, slotDurationSeconds: 1);
            var clips = new List<Guid>();
            for (var i = 0; i < 3; i++)
            {
                clips.Add(await ApprovedClipAsync(season.Id()));
            }

            seasons.Add((season.Id(), clips));
        }

        foreach (var (id, _) in seasons)
        {
            await fixture.ActivateAsync(id);
        }

        foreach (var (id, clips) in seasons)
        {
            var finished = await Eventually.UntilAsync(() => fixture.GetSeasonAsync(id),
                s => s["status"]!.GetValue<string>() == "finished", Patience, "season to finish");
            // No counts: each slot goes to the earliest approved remaining clip, so any double advance breaks this order.
            Assert.Equal(clips, finished["slots"]!.AsArray().Select(s => s!["winnerClipId"]!.GetValue<Guid>()));
        }
    }

    private async Task<Guid> ApprovedClipAsync(Guid seasonId)
    {
        var clip = await fixture.CreateClipAsync(seasonId);
        await fixture.ApproveAsync(clip.Id());
        return clip.Id();
    }

    private async Task<JsonObject> AdvanceAsync(Guid seasonId, int position)
    {
        using var response = await fixture.Admin.PostAsync($"/v1/admin/seasons/{seasonId}/slots/{position}/advance", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static Task WriteTallyAsync(string shard, Guid seasonId, int position, Guid clipId, long votes, long weighted) =>
        ShardSchema.ExecuteAsync(shard, """
            insert into tallies (season_id, slot_position, clip_id, votes, weighted_score, updated_at) values ($1, $2, $3, $4, $5, now())
            on conflict (season_id, slot_position, clip_id) do update set votes = excluded.votes, weighted_score = excluded.weighted_score
            """, seasonId, position, clipId, votes, weighted);
}
