using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class ClipTests(CoreFixture fixture)
{
    [Fact]
    public async Task Creator_registers_a_pending_clip_and_anyone_reads_it()
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id(), title: "x'; delete from clips; --");

        Assert.Equal("pending", clip["status"]!.GetValue<string>());
        Assert.Equal(season.Id(), clip["seasonId"]!.GetValue<Guid>());
        Assert.Equal(8.0, clip["durationSeconds"]!.GetValue<double>());
        Assert.Null(clip["slotPosition"]);
        Assert.Null(clip["approvedAt"]);
        Assert.NotEqual(Guid.Empty, clip["creatorId"]!.GetValue<Guid>());
        var read = await fixture.Anonymous.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip.Id()}");
        Assert.Equal("x'; delete from clips; --", read!["title"]!.GetValue<string>());
        Assert.Equal("/thumbs/t.jpg", read["thumbnailUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Same_subject_is_the_same_creator_and_a_uuid_subject_is_used_as_is()
    {
        var season = await fixture.CreateSeasonAsync();
        var a = await fixture.CreateClipAsync(season.Id());
        var b = await fixture.CreateClipAsync(season.Id());
        Assert.Equal(a["creatorId"]!.GetValue<Guid>(), b["creatorId"]!.GetValue<Guid>());

        var uuid = Guid.NewGuid();
        using var creator = fixture.Client(fixture.Stack.UserToken(uuid.ToString()));
        var c = await fixture.CreateClipAsync(season.Id(), creator);
        Assert.Equal(uuid, c["creatorId"]!.GetValue<Guid>());
    }

    [Theory]
    [InlineData("durationSeconds", 8.6)]
    [InlineData("durationSeconds", 0)]
    [InlineData("videoUrl", "http://cdn.example.com/v.mp4")]
    [InlineData("videoUrl", "javascript:alert(1)")]
    [InlineData("videoUrl", "//evil.example/v.mp4")]
    [InlineData("videoUrl", "")]
    [InlineData("genre", "Western")]
    [InlineData("title", "")]
    [InlineData("thumbnailUrl", "ftp://x/y.jpg")]
    public async Task Invalid_clip_is_400(string field, object value)
    {
        var season = await fixture.CreateSeasonAsync();
        var body = new JsonObject
        {
            ["seasonId"] = season.Id(), ["title"] = "t", ["genre"] = "Comedy", ["videoUrl"] = "https://cdn.example.com/v.mp4",
            ["durationSeconds"] = 8.5,
        };
        body[field] = JsonValue.Create(value);
        using var response = await fixture.User.PostAsJsonAsync("/v1/clips", body);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Relative_video_path_and_exactly_8_5_seconds_are_accepted()
    {
        var season = await fixture.CreateSeasonAsync();
        using var response = await fixture.User.PostAsJsonAsync("/v1/clips", new
        {
            seasonId = season.Id(), title = "t", genre = "Action", videoUrl = "/media/clip.mp4", durationSeconds = 8.5,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.EndsWith((await response.Content.ReadFromJsonAsync<JsonObject>())!.Id().ToString(), response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Unknown_season_is_404_and_unknown_clip_is_clip_not_found()
    {
        using var response = await fixture.User.PostAsJsonAsync("/v1/clips", new
        {
            seasonId = Guid.NewGuid(), title = "t", genre = "Action", videoUrl = "https://x.example/v.mp4", durationSeconds = 5,
        });
        await response.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var missing = await fixture.Anonymous.GetAsync($"/v1/clips/{Guid.NewGuid()}");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");
    }
}
