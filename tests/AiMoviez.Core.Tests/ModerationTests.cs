using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class ModerationTests(CoreFixture fixture)
{
    [Fact]
    public async Task Seeding_flow_clips_approved_in_a_draft_open_slot_1_on_activation()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 75, slotDurationSeconds: 86400);
        var clips = new List<JsonObject>();
        for (var i = 0; i < 12; i++)
        {
            clips.Add(await fixture.CreateClipAsync(season.Id(), title: $"Clip {i}"));
        }

        foreach (var clip in clips)
        {
            var approved = await fixture.ApproveAsync(clip.Id());
            Assert.Equal("active", approved["status"]!.GetValue<string>());
            Assert.Equal(1, approved["slotPosition"]!.GetValue<int>());
            Assert.NotNull(approved["approvedAt"]);
        }

        var active = await fixture.ActivateAsync(season.Id());
        var slot1 = active["slots"]![0]!;
        Assert.Equal("voting", slot1["status"]!.GetValue<string>());
        var endsAt = slot1["votingEndsAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(endsAt, DateTimeOffset.UtcNow.AddHours(23.9), DateTimeOffset.UtcNow.AddHours(24.1));
    }

    [Fact]
    public async Task Approving_into_a_waiting_slot_opens_it_for_voting()
    {
        var season = await fixture.CreateSeasonAsync(slotDurationSeconds: 600);
        await fixture.ActivateAsync(season.Id());
        var clip = await fixture.CreateClipAsync(season.Id());
        var approved = await fixture.ApproveAsync(clip.Id());
        Assert.Equal(1, approved["slotPosition"]!.GetValue<int>());

        var read = await fixture.GetSeasonAsync(season.Id());
        Assert.Equal("voting", read["slots"]![0]!["status"]!.GetValue<string>());
        Assert.NotNull(read["slots"]![0]!["votingEndsAt"]);
    }

    [Fact]
    public async Task Approve_and_reject_failure_paths()
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id());
        await fixture.ApproveAsync(clip.Id());

        using var twice = await fixture.Admin.PostAsync($"/v1/admin/clips/{clip.Id()}/approve", null);
        await twice.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
        using var unknown = await fixture.Admin.PostAsync($"/v1/admin/clips/{Guid.NewGuid()}/approve", null);
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");
        using var unknownReject = await fixture.Admin.PostAsync($"/v1/admin/clips/{Guid.NewGuid()}/reject", null);
        await unknownReject.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");

        using var reject = await fixture.Admin.PostAsync($"/v1/admin/clips/{clip.Id()}/reject", null);
        Assert.Equal(HttpStatusCode.OK, reject.StatusCode);
        var rejected = (await reject.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        using var rejectAgain = await fixture.Admin.PostAsync($"/v1/admin/clips/{clip.Id()}/reject", null);
        await rejectAgain.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
    }

    [Fact]
    public async Task Bulk_approves_or_rejects_all_or_nothing()
    {
        var season = await fixture.CreateSeasonAsync();
        var a = await fixture.CreateClipAsync(season.Id());
        var b = await fixture.CreateClipAsync(season.Id());

        using var withUnknown = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk", new { action = "approve", clipIds = new[] { a.Id(), Guid.NewGuid() } });
        await withUnknown.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");
        Assert.Equal("pending", (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/clips/{a.Id()}"))!["status"]!.GetValue<string>());

        using var badAction = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk", new { action = "delete", clipIds = new[] { a.Id() } });
        await badAction.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var empty = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk", new { action = "approve", clipIds = Array.Empty<Guid>() });
        await empty.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var tooMany = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk",
            new { action = "approve", clipIds = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()) });
        await tooMany.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");

        using var ok = await fixture.Admin.PostAsJsonAsync("/v1/admin/clips/bulk", new { action = "reject", clipIds = new[] { a.Id(), b.Id() } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = (await ok.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.All(body["items"]!.AsArray(), c => Assert.Equal("rejected", c!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Moderation_queue_pages_pending_clips_oldest_first_without_gaps()
    {
        var season = await fixture.CreateSeasonAsync();
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await fixture.CreateClipAsync(season.Id())).Id());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/admin/clips?status=pending&limit=2&cursor={Uri.EscapeDataString(cursor ?? "")}"))!;
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= 2);
            Assert.All(items, c => Assert.Equal("pending", c!["status"]!.GetValue<string>()));
            seen.AddRange(items.Select(c => c!.Id()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(created, seen.Where(created.Contains));

        using var badStatus = await fixture.Admin.GetAsync("/v1/admin/clips?status=weird");
        await badStatus.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var badCursor = await fixture.Admin.GetAsync("/v1/admin/clips?cursor=%%%");
        await badCursor.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }
}
