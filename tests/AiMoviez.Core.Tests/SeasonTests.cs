using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiMoviez.Contracts;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class SeasonTests(CoreFixture fixture)
{
    [Fact]
    public async Task Create_answers_201_with_a_draft_season_sequential_number_and_upcoming_slots()
    {
        var first = await fixture.CreateSeasonAsync(totalSlots: 4, slotDurationSeconds: 600, genre: "sci-fi");
        var second = await fixture.CreateSeasonAsync();

        Assert.Equal("draft", first["status"]!.GetValue<string>());
        Assert.Equal("Sci-Fi", first["genre"]!.GetValue<string>());
        Assert.Equal(4, first["totalSlots"]!.GetValue<int>());
        Assert.Equal(600, first["slotDurationSeconds"]!.GetValue<int>());
        Assert.Null(first["activatedAt"]);
        Assert.EndsWith("Z", first["createdAt"]!.GetValue<string>());
        Assert.Equal(first["number"]!.GetValue<int>() + 1, second["number"]!.GetValue<int>());
        var slots = first["slots"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], slots.Select(s => s!["position"]!.GetValue<int>()));
        Assert.All(slots, s => Assert.Equal("upcoming", s!["status"]!.GetValue<string>()));
        Assert.True(slots[0]!.AsObject().ContainsKey("votingEndsAt"));
        Assert.True(slots[0]!.AsObject().ContainsKey("winnerClipId"));
    }

    [Theory]
    [InlineData("{\"label\":\"\",\"genre\":\"Comedy\",\"totalSlots\":3,\"slotDurationSeconds\":60}")]
    [InlineData("{\"label\":\"x\",\"genre\":\"Western\",\"totalSlots\":3,\"slotDurationSeconds\":60}")]
    [InlineData("{\"label\":\"x\",\"genre\":\"Comedy\",\"totalSlots\":0,\"slotDurationSeconds\":60}")]
    [InlineData("{\"label\":\"x\",\"genre\":\"Comedy\",\"totalSlots\":3,\"slotDurationSeconds\":-5}")]
    [InlineData("{\"label\":\"x\",\"genre\":\"Comedy\",\"totalSlots\":\"many\"}")]
    [InlineData("[]")]
    public async Task Create_rejects_bad_bodies_with_invalid_request(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await fixture.Admin.PostAsync("/v1/admin/seasons", content);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Sql_looking_label_is_stored_verbatim()
    {
        const string Label = "Robert'); DROP TABLE seasons;--";
        using var response = await fixture.Admin.PostAsJsonAsync("/v1/admin/seasons",
            new { label = Label, genre = "Horror", totalSlots = 2, slotDurationSeconds = 60 });
        var season = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var read = await fixture.GetSeasonAsync(season.Id());
        Assert.Equal(Label, read["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_and_list_seasons_and_unknown_is_404()
    {
        var season = await fixture.CreateSeasonAsync();
        var list = await fixture.Anonymous.GetFromJsonAsync<JsonObject>("/v1/seasons");
        Assert.Contains(list!["items"]!.AsArray(), s => s!.Id() == season.Id());

        using var missing = await fixture.Anonymous.GetAsync($"/v1/seasons/{Guid.NewGuid()}");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var notAGuid = await fixture.Anonymous.GetAsync("/v1/seasons/not-a-guid");
        await notAGuid.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Activate_without_clips_waits_for_clips_and_twice_is_conflict()
    {
        var season = await fixture.CreateSeasonAsync();
        var active = await fixture.ActivateAsync(season.Id());
        Assert.Equal("active", active["status"]!.GetValue<string>());
        Assert.NotNull(active["activatedAt"]);
        Assert.Equal("waiting_for_clips", active["slots"]![0]!["status"]!.GetValue<string>());

        using var again = await fixture.Admin.PostAsync($"/v1/admin/seasons/{season.Id()}/activate", null);
        await again.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
        using var missing = await fixture.Admin.PostAsync($"/v1/admin/seasons/{Guid.NewGuid()}/activate", null);
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Patch_edits_and_validates()
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 3);
        using var response = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}",
            new { label = "Renamed", totalSlots = 5, slotDurationSeconds = 120 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var patched = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Renamed", patched["label"]!.GetValue<string>());
        Assert.Equal(5, patched["slots"]!.AsArray().Count);
        Assert.Equal(120, patched["slotDurationSeconds"]!.GetValue<int>());

        using var empty = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}", new { });
        await empty.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var badStatus = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}", new { status = "active" });
        await badStatus.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var missing = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{Guid.NewGuid()}", new { label = "x" });
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");

        await fixture.ActivateAsync(season.Id());
        using var slotsOfActive = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}", new { totalSlots = 9 });
        await slotsOfActive.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
        using var archiveActive = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/seasons/{season.Id()}", new { status = "archived" });
        await archiveActive.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
    }

    [Theory]
    [InlineData("{\"label\":\" \"}", "label", "label is required, at most 200 characters.")]
    [InlineData("{\"label\":\"Renamed\",\"genre\":\"Western\"}", "genre", "genre must be one of ")]
    [InlineData("{\"label\":\"Renamed\",\"totalSlots\":0}", "totalSlots", "totalSlots must be between 1 and 1000.")]
    [InlineData("{\"slotDurationSeconds\":2592001}", "slotDurationSeconds", "slotDurationSeconds must be between 1 and 2592000.")]
    [InlineData("{\"label\":\"Renamed\",\"status\":\"active\"}", "status", "status can only be set to archived")]
    [InlineData("{\"label\":null}", "body", "Nothing to change.")]
    public async Task A_patch_with_a_bad_field_answers_that_fields_error_and_changes_nothing(string body, string field, string message)
    {
        var season = await fixture.CreateSeasonAsync(totalSlots: 3, slotDurationSeconds: 600);
        var before = await fixture.GetSeasonAsync(season.Id());
        var audits = await fixture.AuditCountAsync();

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await fixture.Admin.PatchAsync($"/v1/admin/seasons/{season.Id()}", content);

        await response.AssertFieldProblemAsync("The season change is not valid.", field, message);
        Assert.Equal(before.ToJsonString(), (await fixture.GetSeasonAsync(season.Id())).ToJsonString());
        Assert.Equal(audits, await fixture.AuditCountAsync());
    }

    [Fact]
    public async Task Delete_needs_confirm_then_removes_the_season()
    {
        var season = await fixture.CreateSeasonAsync();
        using var unconfirmed = await fixture.Admin.DeleteAsync($"/v1/admin/seasons/{season.Id()}");
        await unconfirmed.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        using var notTrue = await fixture.Admin.DeleteAsync($"/v1/admin/seasons/{season.Id()}?confirm=false");
        await notTrue.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");

        using var deleted = await fixture.Admin.DeleteAsync($"/v1/admin/seasons/{season.Id()}?confirm=true");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await fixture.Anonymous.GetAsync($"/v1/seasons/{season.Id()}");
        await gone.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var again = await fixture.Admin.DeleteAsync($"/v1/admin/seasons/{season.Id()}?confirm=true");
        await again.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Create_is_409_conflict_when_the_shard_map_has_no_shard_for_the_number()
    {
        var next = await fixture.CreateSeasonAsync();
        var lastMapped = next["number"]!.GetValue<int>() + 1;
        var topology = fixture.Stack.Topology with
        {
            SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = lastMapped, Shards = ["shard-1", "shard-2"] }],
        };
        var path = fixture.Stack.Dir.FilePath("short-map.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(topology, ContractsJson.Default.Topology));
        var env = new Dictionary<string, string?>(CoreFixture.FastLoops) { ["Topology__Path"] = path };
        var (shortCore, url) = await fixture.StartExtraCoreAsync("core-short-map", env);
        await using var stopShortCore = shortCore;
        using var admin = fixture.Client(fixture.Stack.AdminToken(), url);

        using var fits = await admin.PostAsJsonAsync("/v1/admin/seasons", new { label = "fits", genre = "Action", totalSlots = 1, slotDurationSeconds = 60 });
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        using var beyond = await admin.PostAsJsonAsync("/v1/admin/seasons", new { label = "beyond", genre = "Action", totalSlots = 1, slotDurationSeconds = 60 });
        await beyond.AssertProblemAsync(HttpStatusCode.Conflict, "CONFLICT");
    }
}
