using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class ClipTests(CoreFixture fixture)
{
    [Fact]
    public async Task Creator_registers_a_pending_clip_and_reads_it()
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id(), title: "x'; delete from clips; --");

        Assert.Equal("pending", clip["status"]!.GetValue<string>());
        Assert.Equal(season.Id(), clip["seasonId"]!.GetValue<Guid>());
        Assert.Equal(8.0, clip["durationSeconds"]!.GetValue<double>());
        Assert.Null(clip["slotPosition"]);
        Assert.Null(clip["approvedAt"]);
        Assert.NotEqual(Guid.Empty, clip["creatorId"]!.GetValue<Guid>());
        var read = await fixture.User.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip.Id()}");
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
        Assert.NotNull((await response.ProblemAsync())["errors"]?[field]);
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
    public async Task Unknown_season_and_unknown_clip_are_404_not_found()
    {
        using var response = await fixture.User.PostAsJsonAsync("/v1/clips", new
        {
            seasonId = Guid.NewGuid(), title = "t", genre = "Action", videoUrl = "https://x.example/v.mp4", durationSeconds = 5,
        });
        await response.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var missing = await fixture.Anonymous.GetAsync($"/v1/clips/{Guid.NewGuid()}");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Pending_and_rejected_clips_are_seen_only_by_their_creator_and_admins_until_approved()
    {
        var season = await fixture.CreateSeasonAsync();
        var pending = await fixture.CreateClipAsync(season.Id());
        var rejected = await fixture.CreateClipAsync(season.Id());
        using (var reject = await fixture.Admin.PostAsync($"/v1/admin/clips/{rejected.Id()}/reject", null))
        {
            Assert.Equal(HttpStatusCode.OK, reject.StatusCode);
        }

        using var stranger = fixture.Client(fixture.Stack.UserToken("someone-else"));
        foreach (var clip in new[] { pending, rejected })
        {
            foreach (var reader in new[] { fixture.Anonymous, stranger })
            {
                using var hidden = await reader.GetAsync($"/v1/clips/{clip.Id()}");
                await hidden.AssertProblemAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            }

            foreach (var reader in new[] { fixture.User, fixture.Admin })
            {
                using var seen = await reader.GetAsync($"/v1/clips/{clip.Id()}");
                Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
            }
        }

        await fixture.ApproveAsync(pending.Id());
        using var approved = await fixture.Anonymous.GetAsync($"/v1/clips/{pending.Id()}");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
    }

    [Fact]
    public async Task A_banned_user_cannot_submit_a_clip_whether_banned_by_user_id_or_by_voter_key()
    {
        var season = await fixture.CreateSeasonAsync();
        foreach (var (subject, banPath) in new[]
        {
            ("banned-by-id-" + Guid.NewGuid().ToString("N")[..8], "/v1/admin/users/{0}/ban"),
            ("banned-by-key-" + Guid.NewGuid().ToString("N")[..8], "/v1/admin/voters/user_{0}/ban"),
        })
        {
            using var creator = fixture.Client(fixture.Stack.UserToken(subject));
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, banPath, subject);
            using (var ban = await fixture.Admin.PutAsJsonAsync(path, new { banned = true }))
            {
                Assert.Equal(HttpStatusCode.OK, ban.StatusCode);
            }

            var body = new
            {
                seasonId = season.Id(), title = "t", genre = "Comedy", videoUrl = "https://cdn.example.com/v.mp4", durationSeconds = 8.0,
            };
            using (var refused = await creator.PostAsJsonAsync("/v1/clips", body))
            {
                await refused.AssertProblemAsync(HttpStatusCode.Forbidden, "VOTER_BANNED");
            }

            Assert.Equal(0, await ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
                $"select count(*) from clips where title = 't' and season_id = '{season.Id()}'"));

            using (var unban = await fixture.Admin.PutAsJsonAsync(path, new { banned = false }))
            {
                Assert.Equal(HttpStatusCode.OK, unban.StatusCode);
            }

            await fixture.CreateClipAsync(season.Id(), creator);
        }
    }

    [Fact]
    public async Task An_admin_edits_a_clips_metadata_and_bad_edits_change_nothing()
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id(), title: "Before");
        var audits = await fixture.AuditCountAsync();

        using (var edited = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/clips/{clip.Id()}", new { title = " After ", genre = "horror" }))
        {
            Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
            var body = (await edited.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("After", body["title"]!.GetValue<string>());
            Assert.Equal("Horror", body["genre"]!.GetValue<string>());
            Assert.Equal("/thumbs/t.jpg", body["thumbnailUrl"]!.GetValue<string>());
        }

        Assert.Equal(audits + 1, await fixture.AuditCountAsync());
        foreach (var bad in new object[] { new { title = "" }, new { genre = "Western" }, new { thumbnailUrl = "javascript:x" }, new { } })
        {
            using var refused = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/clips/{clip.Id()}", bad);
            await refused.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        }

        using (var missing = await fixture.Admin.PatchAsJsonAsync($"/v1/admin/clips/{Guid.NewGuid()}", new { title = "x" }))
        {
            await missing.AssertProblemAsync(HttpStatusCode.NotFound, "CLIP_NOT_FOUND");
        }

        using (var notAdmin = await fixture.User.PatchAsJsonAsync($"/v1/admin/clips/{clip.Id()}", new { title = "Mine" }))
        {
            await notAdmin.AssertProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        var read = (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip.Id()}"))!;
        Assert.Equal("After", read["title"]!.GetValue<string>());
        Assert.Equal("Horror", read["genre"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"title\":\" \"}", "title", "title is required, at most 200 characters.")]
    [InlineData("{\"title\":\"Renamed\",\"genre\":\"Western\"}", "genre", "genre must be one of ")]
    [InlineData("{\"title\":\"Renamed\",\"thumbnailUrl\":\"javascript:x\"}", "thumbnailUrl", "thumbnailUrl must be an https URL or a relative path.")]
    public async Task A_clip_edit_with_a_bad_field_answers_that_fields_error_and_changes_nothing(string body, string field, string message)
    {
        var (clip, audits, response) = await EditFreshClipAsync(body);
        using (response)
        {
            await response.AssertFieldProblemAsync("The clip's metadata is not valid.", field, message);
        }

        await AssertUnchangedAsync(clip, audits);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"title\":null,\"genre\":null}")]
    public async Task A_clip_edit_naming_no_field_is_400_without_field_errors_and_changes_nothing(string body)
    {
        var (clip, audits, response) = await EditFreshClipAsync(body);
        using (response)
        {
            await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
            var problem = await response.ProblemAsync();
            Assert.Equal("Give at least one of title, genre, thumbnailUrl.", problem["detail"]!.GetValue<string>());
            Assert.Null(problem["errors"]);
        }

        await AssertUnchangedAsync(clip, audits);
    }

    private async Task<(JsonObject Clip, long Audits, HttpResponseMessage Response)> EditFreshClipAsync(string body)
    {
        var season = await fixture.CreateSeasonAsync();
        var clip = await fixture.CreateClipAsync(season.Id(), title: "Before");
        var audits = await fixture.AuditCountAsync();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return (clip, audits, await fixture.Admin.PatchAsync($"/v1/admin/clips/{clip.Id()}", content));
    }

    private async Task AssertUnchangedAsync(JsonObject clip, long audits)
    {
        var read = (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1/clips/{clip.Id()}"))!;
        Assert.Equal(clip.ToJsonString(), read.ToJsonString());
        Assert.Equal(audits, await fixture.AuditCountAsync());
    }

    [Fact]
    public async Task Admins_list_bans_newest_first_a_page_at_a_time()
    {
        var subjects = Enumerable.Range(0, 3).Select(i => $"listed-{i}-{Guid.NewGuid():N}").ToList();
        foreach (var subject in subjects)
        {
            using var ban = await fixture.Admin.PutAsJsonAsync($"/v1/admin/voters/{subject}/ban", new { banned = true });
            Assert.Equal(HttpStatusCode.OK, ban.StatusCode);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1/admin/bans?limit=2" + (cursor is null ? "" : "&cursor=" + cursor)))!;
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["subject"]!.GetValue<string>()));
            Assert.All(page["items"]!.AsArray(), i => Assert.True(i!["banned"]!.GetValue<bool>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        // Other tests ban too; ours are the newest three of them, latest first, each once.
        var ours = seen.Where(subjects.Contains).ToList();
        Assert.Equal(subjects.AsEnumerable().Reverse(), ours);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        using var anonymous = await fixture.Anonymous.GetAsync("/v1/admin/bans");
        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
        using var notAdmin = await fixture.User.GetAsync("/v1/admin/bans");
        await notAdmin.AssertProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        using var badCursor = await fixture.Admin.GetAsync("/v1/admin/bans?cursor=nope");
        await badCursor.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }
}
