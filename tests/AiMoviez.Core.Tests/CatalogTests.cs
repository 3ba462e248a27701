using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;
using NATS.Client.Core;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class CatalogTests(CoreFixture fixture)
{
    [Fact]
    public async Task Snapshot_lists_active_seasons_newest_first_with_current_slot_clips_and_answers_304_on_its_etag()
    {
        var older = await fixture.CreateSeasonAsync();
        await fixture.ActivateAsync(older.Id());
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id());
        var pending = await fixture.CreateClipAsync(season.Id());
        await fixture.ApproveAsync(clip.Id());
        await fixture.ActivateAsync(season.Id());

        using var response = await fixture.Anonymous.GetAsync(CatalogRoutes.Snapshot);
        var snapshot = (await response.Content.ReadFromJsonAsync(ContractsJson.Default.CatalogSnapshot))!;
        var ids = snapshot.Seasons.Select(s => s.Id).ToList();
        Assert.True(ids.IndexOf(season.Id()) < ids.IndexOf(older.Id()));
        var current = snapshot.Seasons.Single(s => s.Id == season.Id());
        Assert.Equal(SlotStatuses.Voting, current.CurrentSlot!.Status);
        Assert.Equal(1, current.CurrentSlot.Position);
        Assert.Equal([clip.Id()], current.Clips.Select(c => c.Id));
        Assert.DoesNotContain(snapshot.Seasons.SelectMany(s => s.Clips), c => c.Id == pending.Id());
        Assert.Equal(SlotStatuses.WaitingForClips, snapshot.Seasons.Single(s => s.Id == older.Id()).CurrentSlot!.Status);

        var etag = response.Headers.ETag!;
        using var request = new HttpRequestMessage(HttpMethod.Get, CatalogRoutes.Snapshot);
        request.Headers.IfNoneMatch.Add(etag);
        using var notModified = await fixture.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Snapshot_carries_each_seasons_last_winner_and_a_finished_season_for_a_day()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 2, slotDurationSeconds: 600);
        var first = await fixture.CreateClipAsync(season.Id());
        var second = await fixture.CreateClipAsync(season.Id());
        await fixture.ApproveAsync(first.Id());
        await fixture.ApproveAsync(second.Id());
        await fixture.ActivateAsync(season.Id());
        Assert.Null((await SnapshotAsync()).Seasons.Single(s => s.Id == season.Id()).LastLockedSlot);

        await AssignAsync(season.Id(), 1, first.Id());
        var active = (await SnapshotAsync()).Seasons.Single(s => s.Id == season.Id());
        Assert.Equal(1, active.LastLockedSlot!.Position);
        Assert.Equal(first.Id(), active.LastLockedSlot.WinnerClipId);
        Assert.Equal(2, active.CurrentSlot!.Position);

        await AssignAsync(season.Id(), 2, second.Id());
        var snapshot = await SnapshotAsync();
        Assert.DoesNotContain(snapshot.Seasons, s => s.Id == season.Id());
        var finished = snapshot.FinishedSeasons.Single(s => s.Id == season.Id());
        Assert.Equal(2, finished.LastLockedSlot.Position);
        Assert.Equal(second.Id(), finished.LastLockedSlot.WinnerClipId);
    }

    [Fact]
    public async Task A_clip_of_any_season_is_found_with_its_seasons_status_and_an_unknown_one_is_404()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 1, slotDurationSeconds: 600);
        var clip = await fixture.CreateClipAsync(season.Id());
        Assert.Equal(SeasonStatuses.Draft, (await PlaceAsync(clip.Id())).SeasonStatus);

        await fixture.ApproveAsync(clip.Id());
        await fixture.ActivateAsync(season.Id());
        await AssignAsync(season.Id(), 1, clip.Id());
        var placement = await PlaceAsync(clip.Id());
        Assert.Equal((clip.Id(), season.Id(), season["number"]!.GetValue<int>(), SeasonStatuses.Finished),
            (placement.Id, placement.SeasonId, placement.SeasonNumber, placement.SeasonStatus));

        using var unknown = await fixture.Anonymous.GetAsync(CatalogRoutes.ClipOf(Guid.NewGuid()));
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, ErrorCodes.ClipNotFound);
    }

    private async Task<ClipPlacement> PlaceAsync(Guid clipId) =>
        (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.ClipOf(clipId), ContractsJson.Default.ClipPlacement))!;

    private async Task<CatalogSnapshot> SnapshotAsync() =>
        (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;

    private async Task AssignAsync(Guid seasonId, int position, Guid clipId)
    {
        using var response = await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{seasonId}/slots/{position}/assign-winner", new { clipId });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Snapshot_lists_pending_and_rejected_clips_as_not_votable_and_a_new_pending_clip_bumps_the_version()
    {
        var season = await fixture.CreateSeasonAsync();
        var voting = await fixture.CreateClipAsync(season.Id());
        await fixture.ApproveAsync(voting.Id());
        await fixture.ActivateAsync(season.Id());
        var before = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;
        Assert.Empty(before.Seasons.Single(s => s.Id == season.Id()).NotVotableClipIds);

        var pending = await fixture.CreateClipAsync(season.Id());
        var rejected = await fixture.CreateClipAsync(season.Id());
        using var reject = await fixture.Admin.PostAsync($"/v1/admin/clips/{rejected.Id()}/reject", null);
        Assert.Equal(HttpStatusCode.OK, reject.StatusCode);

        var after = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;
        Assert.True(after.Version > before.Version, "a new pending clip changes what edges see, so the ETag must change");
        var current = after.Seasons.Single(s => s.Id == season.Id());
        Assert.Equal([voting.Id()], current.Clips.Select(c => c.Id));
        Assert.Equal(new[] { pending.Id(), rejected.Id() }.Order(), current.NotVotableClipIds.Order());
    }

    [Fact]
    public async Task Every_catalog_change_publishes_catalog_changed_and_bumps_the_version()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = fixture.Stack.Nats["us-east"].Url });
        await nats.ConnectAsync();
        var received = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listening = new TaskCompletionSource();
        var listener = Task.Run(async () =>
        {
            await using var subscription = await nats.SubscribeCoreAsync<byte[]>(Subjects.CatalogChanged, cancellationToken: cts.Token);
            listening.SetResult();
            await foreach (var _ in subscription.Msgs.ReadAllAsync(cts.Token))
            {
                Interlocked.Increment(ref received);
            }
        });
        await listening.Task;
        await nats.PingAsync();
        var before = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!.Version;

        using var flag = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/require_captcha_voting", new { enabled = true });
        Assert.Equal(HttpStatusCode.OK, flag.StatusCode);
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref received) >= 1), TimeSpan.FromSeconds(10), "catalog.changed after a flag change");

        var after = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;
        Assert.True(after.Version > before);
        Assert.True(after.Flags.RequireCaptchaVoting);
        using var reset = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/require_captcha_voting", new { enabled = false });
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref received) >= 2), TimeSpan.FromSeconds(10), "catalog.changed after a second change");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener);
    }

    [Fact]
    public async Task Feature_flags_read_and_set()
    {
        var features = (await fixture.Anonymous.GetFromJsonAsync<JsonObject>("/v1/features"))!;
        Assert.Equal(FeatureFlagKeys.All.Order(), features["items"]!.AsArray().Select(f => f!["key"]!.GetValue<string>()).Order());

        using var set = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/multi_vote_enabled", new { enabled = true });
        var flag = (await set.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(flag["enabled"]!.GetValue<bool>());
        var read = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1/admin/feature-flags/multi_vote_enabled"))!;
        Assert.True(read["enabled"]!.GetValue<bool>());
        Assert.True((await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!.Flags.MultiVoteEnabled);
        using var off = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/multi_vote_enabled", new { enabled = false });
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);

        using var unknown = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/free_beer", new { enabled = true });
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var unknownGet = await fixture.Admin.GetAsync("/v1/admin/feature-flags/free_beer");
        await unknownGet.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var noValue = await fixture.Admin.PutAsJsonAsync("/v1/admin/feature-flags/voting_enabled", new { });
        await noValue.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Bans_of_users_and_voter_keys_reach_the_snapshot_and_unban_removes_them()
    {
        var voterKey = "device_" + Guid.NewGuid().ToString("N");
        using var banUser = await fixture.Admin.PutAsJsonAsync("/v1/admin/users/troll-1/ban", new { banned = true });
        using var banVoter = await fixture.Admin.PutAsJsonAsync($"/v1/admin/voters/{voterKey}/ban", new { banned = true });
        Assert.Equal(HttpStatusCode.OK, banUser.StatusCode);
        Assert.True((await banVoter.Content.ReadFromJsonAsync<JsonObject>())!["banned"]!.GetValue<bool>());

        var snapshot = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;
        Assert.Contains("troll-1", snapshot.BannedUserIds);
        Assert.Contains(voterKey, snapshot.BannedVoterKeys);

        using var unban = await fixture.Admin.PutAsJsonAsync($"/v1/admin/voters/{voterKey}/ban", new { banned = false });
        Assert.Equal(HttpStatusCode.OK, unban.StatusCode);
        snapshot = (await fixture.Anonymous.GetFromJsonAsync(CatalogRoutes.Snapshot, ContractsJson.Default.CatalogSnapshot))!;
        Assert.DoesNotContain(voterKey, snapshot.BannedVoterKeys);

        using var noValue = await fixture.Admin.PutAsJsonAsync("/v1/admin/users/troll-1/ban", new { });
        await noValue.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var tooLong = await fixture.Admin.PutAsJsonAsync($"/v1/admin/users/{new string('a', 201)}/ban", new { banned = true });
        await tooLong.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }
}
