using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class AuditTests(CoreFixture fixture)
{
    [Fact]
    public async Task Every_admin_call_writes_exactly_one_entry_and_a_failed_one_none()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 2, slotDurationSeconds: 600);
        var clip = await fixture.CreateClipAsync(season.Id());
        var other = await fixture.CreateClipAsync(season.Id());
        var third = await fixture.CreateClipAsync(season.Id());
        var id = season.Id();
        var calls = new (string Method, string Path, object? Body)[]
        {
            ("POST", "/v1/admin/seasons", new { label = "audited", genre = "Romance", totalSlots = 2, slotDurationSeconds = 60 }),
            ("PATCH", $"/v1/admin/seasons/{id}", new { label = "audited season" }),
            ("POST", $"/v1/admin/clips/{clip.Id()}/approve", null),
            ("POST", $"/v1/admin/clips/{other.Id()}/reject", null),
            ("POST", "/v1/admin/clips/bulk", new { action = "approve", clipIds = new[] { third.Id() } }),
            ("GET", "/v1/admin/clips?status=pending", null),
            ("POST", $"/v1/admin/seasons/{id}/activate", null),
            ("POST", $"/v1/admin/seasons/{id}/slots/1/reset-votes", null),
            ("POST", $"/v1/admin/seasons/{id}/slots/1/assign-winner", new { clipId = clip.Id() }),
            ("POST", $"/v1/admin/seasons/{id}/slots/1/unlock", null),
            ("POST", $"/v1/admin/seasons/{id}/slots/1/advance", null),
            ("GET", "/v1/admin/feature-flags/voting_enabled", null),
            ("PUT", "/v1/admin/feature-flags/voting_enabled", new { enabled = true }),
            ("PUT", "/v1/admin/users/audited-user/ban", new { banned = true }),
            ("PUT", "/v1/admin/voters/device_audited/ban", new { banned = false }),
            ("GET", "/v1/admin/audit-logs?limit=1", null),
            ("GET", "/v1/admin/pipeline", null),
            ("GET", "/v1/admin/genre-votes", null),
            ("DELETE", $"/v1/admin/seasons/{id}?confirm=true", null),
        };

        foreach (var (method, path, body) in calls)
        {
            var before = await fixture.AuditCountAsync();
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await fixture.Admin.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(before + 1, await fixture.AuditCountAsync());
        }

        var beforeFailure = await fixture.AuditCountAsync();
        using var failed = await fixture.Admin.PostAsync($"/v1/admin/clips/{Guid.NewGuid()}/approve", null);
        Assert.Equal(HttpStatusCode.NotFound, failed.StatusCode);
        Assert.Equal(beforeFailure, await fixture.AuditCountAsync());
    }

    [Fact]
    public async Task Audit_log_pages_newest_first_with_who_what_which_and_when()
    {
        var season = await fixture.CreateSeasonAsync();
        for (var i = 0; i < 4; i++)
        {
            using var patch = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}", new { label = $"label {i}" });
        }

        var first = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1/admin/audit-logs?limit=3"))!;
        var items = first["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        var newest = items[0]!;
        Assert.Equal("season.update", newest["action"]!.GetValue<string>());
        Assert.Equal("season", newest["resourceType"]!.GetValue<string>());
        Assert.Equal(season.Id().ToString(), newest["resourceId"]!.GetValue<string>());
        Assert.Equal("admin-1", newest["actor"]!.GetValue<string>());
        Assert.Equal("label 3", newest["details"]!["label"]!.GetValue<string>());
        Assert.True(newest["createdAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(-1));

        var cursor = first["nextCursor"]!.GetValue<string>();
        var second = (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/admin/audit-logs?limit=3&cursor={Uri.EscapeDataString(cursor)}"))!;
        var firstIds = items.Select(i => i!["id"]!.GetValue<Guid>()).ToHashSet();
        var secondItems = second["items"]!.AsArray();
        Assert.Equal(3, secondItems.Count);
        Assert.DoesNotContain(secondItems, i => firstIds.Contains(i!["id"]!.GetValue<Guid>()));
        Assert.True(secondItems[0]!["createdAt"]!.GetValue<DateTimeOffset>() <= items[2]!["createdAt"]!.GetValue<DateTimeOffset>());

        using var badLimit = await fixture.Admin.GetAsync("/v1/admin/audit-logs?limit=101");
        await badLimit.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var badCursor = await fixture.Admin.GetAsync("/v1/admin/audit-logs?cursor=nope");
        await badCursor.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }
}
