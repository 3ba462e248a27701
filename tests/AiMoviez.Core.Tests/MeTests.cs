using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class MeTests(CoreFixture fixture)
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Theory]
    [InlineData("/v1/me/stats")]
    [InlineData("/v1/me/votes")]
    [InlineData("/v1/me/clips")]
    public async Task Me_reads_need_a_signed_in_user(string path)
    {
        using var response = await fixture.Anonymous.GetAsync(path);
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
    }

    [Theory]
    [InlineData("/v1/me/votes?limit=0")]
    [InlineData("/v1/me/votes?limit=101")]
    [InlineData("/v1/me/votes?cursor=not-a-cursor")]
    [InlineData("/v1/me/clips?cursor=bm90IGpzb24")]
    [InlineData("/v1/me/clips?limit=abc")]
    public async Task A_bad_cursor_or_limit_is_an_invalid_request(string path)
    {
        using var response = await fixture.User.GetAsync(path);
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
    }

    [Fact]
    public async Task Stats_add_up_the_counted_votes_of_every_shard_and_count_the_streak_back_from_today()
    {
        var (user, voterKey) = NewUser();
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        await WriteVoterDayAsync(shard1, voterKey, s1, Today, votes: 5, weight: 12);
        await WriteVoterDayAsync(shard2, voterKey, s2, Today, votes: 1, weight: 3);
        await WriteVoterDayAsync(shard2, voterKey, s2, Today.AddDays(-1), votes: 2, weight: 2);
        await WriteVoterDayAsync(shard1, voterKey, s1, Today.AddDays(-2), votes: 1, weight: 1);
        await WriteVoterDayAsync(shard1, voterKey, s1, Today.AddDays(-4), votes: 4, weight: 4);
        var first = DateTime.UtcNow.AddDays(-4).AddMinutes(-3);
        await WriteVoteAsync(shard1, voterKey, s1, Guid.NewGuid(), first.AddMinutes(-1), status: "rejected");
        await WriteVoteAsync(shard1, voterKey, s1, Guid.NewGuid(), first);
        await WriteVoteAsync(shard2, voterKey, s2, Guid.NewGuid(), first.AddDays(3));

        var clip = await fixture.CreateClipAsync(s1, user);
        await fixture.CreateClipAsync(s2, user);
        await fixture.ApproveAsync(clip.Id());
        await fixture.ActivateAsync(s1);
        await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{s1}/slots/1/assign-winner", new { clipId = clip.Id() });
        var creatorId = clip["creatorId"]!.GetValue<Guid>();
        await WriteDayAsync(shard1, "creator_days", "creator_id", creatorId, s1, Today, votes: 30, weight: 40);
        await WriteDayAsync(shard2, "creator_days", "creator_id", creatorId, s2, Today, votes: 7, weight: 7);

        var stats = (await user.GetFromJsonAsync<JsonObject>("/v1/me/stats"))!;

        Assert.Equal(15, stats["votesToday"]!.GetValue<long>());
        Assert.Equal(185, stats["remainingToday"]!.GetValue<long>());
        Assert.Equal(13, stats["totalVotes"]!.GetValue<long>());
        Assert.Equal(22, stats["weightedTotal"]!.GetValue<long>());
        Assert.Equal(3, stats["streakDays"]!.GetValue<int>());
        Assert.Equal(first, stats["firstVoteAt"]!.GetValue<DateTime>(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, stats["clipsSubmitted"]!.GetValue<long>());
        Assert.Equal(1, stats["clipsWon"]!.GetValue<long>());
        Assert.Equal(37, stats["votesReceived"]!.GetValue<long>());
    }

    [Fact]
    public async Task Votes_a_review_discounted_no_longer_count_but_still_use_the_days_allowance()
    {
        var (user, voterKey) = NewUser();
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        await WriteVoterDayAsync(shard1, voterKey, s1, Today, votes: 4, weight: 6);
        await WriteVoterDayAsync(shard2, voterKey, s2, Today, votes: 0, weight: 0);
        await WriteVoterDayAsync(shard2, voterKey, s2, Today.AddDays(-1), votes: 1, weight: 1);
        // As the aggregator's review leaves them: 3 discounted today on shard 2, 10 yesterday on shard 1.
        await ShardSchema.ExecuteAsync(shard2, "update voter_days set held_weight = 3 where voter_key = $1 and utc_day = $2", voterKey, Today);
        await WriteVoterDayAsync(shard1, voterKey, s1, Today.AddDays(-1), votes: 0, weight: 0);
        await ShardSchema.ExecuteAsync(shard1, "update voter_days set held_weight = 10 where voter_key = $1 and utc_day = $2", voterKey,
            Today.AddDays(-1));

        var stats = (await user.GetFromJsonAsync<JsonObject>("/v1/me/stats"))!;

        Assert.Equal(6, stats["votesToday"]!.GetValue<long>());
        Assert.Equal(200 - 6 - 3, stats["remainingToday"]!.GetValue<long>());
        Assert.Equal(7, stats["weightedTotal"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_user_who_never_voted_has_zero_stats_and_the_whole_allowance()
    {
        var (user, _) = NewUser();
        var stats = (await user.GetFromJsonAsync<JsonObject>("/v1/me/stats"))!;

        Assert.Equal(0, stats["votesToday"]!.GetValue<long>());
        Assert.Equal(200, stats["remainingToday"]!.GetValue<long>());
        Assert.Equal(0, stats["streakDays"]!.GetValue<int>());
        Assert.Null(stats["firstVoteAt"]);
        Assert.Equal(0, stats["clipsSubmitted"]!.GetValue<long>());
    }

    [Fact]
    public async Task Votes_of_every_shard_are_listed_newest_first_and_pages_join_without_gaps_or_repeats()
    {
        var (user, voterKey) = NewUser();
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        var start = DateTime.UtcNow.AddHours(-1);
        var expected = new List<(Guid VoteId, DateTime At)>();
        for (var i = 0; i < 9; i++)
        {
            // Two votes share each time on different shards, so the vote id orders them.
            var at = start.AddSeconds(i / 2);
            var voteId = Guid.NewGuid();
            await WriteVoteAsync(i % 2 == 0 ? shard1 : shard2, voterKey, i % 2 == 0 ? s1 : s2, voteId, at, status: i == 4 ? "revoked" : "counted");
            expected.Add((voteId, at));
        }

        await WriteVoteAsync(shard1, "user_someone-else", s1, Guid.NewGuid(), start.AddSeconds(1));

        var listed = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = (await user.GetFromJsonAsync<JsonObject>("/v1/me/votes?limit=4" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))!;
            var items = page["items"]!.AsArray().Select(i => i!).ToList();
            Assert.True(items.Count <= 4);
            listed.AddRange(items);
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        var order = expected.OrderByDescending(v => v.At).ThenByDescending(v => v.VoteId.ToString("N"), StringComparer.Ordinal).Select(v => v.VoteId);
        Assert.Equal(order, listed.Select(v => v["voteId"]!.GetValue<Guid>()));
        var revoked = listed.Single(v => v["voteId"]!.GetValue<Guid>() == expected[4].VoteId);
        Assert.Equal("revoked", revoked["status"]!.GetValue<string>());
        Assert.Equal(s1, revoked["seasonId"]!.GetValue<Guid>());
        Assert.Equal(1, revoked["slotPosition"]!.GetValue<int>());
        Assert.Equal("super", revoked["voteType"]!.GetValue<string>());
        Assert.Equal(3, revoked["weight"]!.GetValue<int>());
        Assert.NotNull(revoked["clipId"]);
        Assert.NotNull(revoked["acceptedAt"]);
    }

    [Fact]
    public async Task My_clips_show_their_status_and_the_votes_they_received_newest_first()
    {
        var (user, _) = NewUser();
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        var older = await fixture.CreateClipAsync(s1, user, title: "Older");
        var newer = await fixture.CreateClipAsync(s2, user, title: "Newer");
        await fixture.CreateClipAsync(s1, title: "Someone else's");
        await fixture.ApproveAsync(older.Id());
        await WriteDayAsync(shard1, "clip_days", "clip_id", older.Id(), s1, Today, votes: 6, weight: 9);
        await WriteDayAsync(shard1, "clip_days", "clip_id", older.Id(), s1, Today.AddDays(-1), votes: 1, weight: 1);
        await WriteDayAsync(shard2, "clip_days", "clip_id", newer.Id(), s2, Today, votes: 2, weight: 2);

        var first = (await user.GetFromJsonAsync<JsonObject>("/v1/me/clips?limit=1"))!;
        var second = (await user.GetFromJsonAsync<JsonObject>("/v1/me/clips?limit=1&cursor=" + Uri.EscapeDataString(first["nextCursor"]!.GetValue<string>())))!;

        var a = first["items"]!.AsArray().Single()!;
        Assert.Equal(newer.Id(), a["id"]!.GetValue<Guid>());
        Assert.Equal("pending", a["status"]!.GetValue<string>());
        Assert.Equal(2, a["votes"]!.GetValue<long>());
        var b = second["items"]!.AsArray().Single()!;
        Assert.Equal(older.Id(), b["id"]!.GetValue<Guid>());
        Assert.Equal("active", b["status"]!.GetValue<string>());
        Assert.Equal(7, b["votes"]!.GetValue<long>());
        Assert.Equal(10, b["weightedScore"]!.GetValue<long>());
        Assert.Null(second["nextCursor"]);
    }

    private (HttpClient Client, string VoterKey) NewUser()
    {
        var id = "me-" + Guid.NewGuid().ToString("N")[..10];
        return (fixture.Client(fixture.Stack.UserToken(id)), "user_" + id);
    }

    private async Task<(Guid S1, string Shard1, Guid S2, string Shard2)> SeasonsOnBothShardsAsync()
    {
        var a = await fixture.CreateSeasonAsync();
        var b = await fixture.CreateSeasonAsync();
        return (a.Id(), fixture.ShardOf(a["number"]!.GetValue<int>()), b.Id(), fixture.ShardOf(b["number"]!.GetValue<int>()));
    }

    internal static Task WriteVoterDayAsync(string shard, string voterKey, Guid seasonId, DateOnly day, long votes, long weight) =>
        WriteDayAsync(shard, "voter_days", "voter_key", voterKey, seasonId, day, votes, weight);

    internal static Task WriteDayAsync(string shard, string table, string keyColumn, object key, Guid seasonId, DateOnly day, long votes, long weight) =>
        ShardSchema.ExecuteAsync(shard, $"""
            insert into {table} ({keyColumn}, season_id, utc_day, votes, weight, updated_at) values ($1, $2, $3, $4, $5, now())
            """, key, seasonId, day, votes, weight);

    internal static Task WriteVoteAsync(string shard, string voterKey, Guid seasonId, Guid voteId, DateTime acceptedAt, string status = "counted",
        Guid? clipId = null, Guid? creatorId = null) =>
        ShardSchema.ExecuteAsync(shard, """
            insert into votes (vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags, multi_vote,
                               accepted_at, utc_day, status, reason, applied_at)
            values ($1, $2, 1, $3, $4, $5, case when $6 = 'revoked' then 'super' else 'standard' end, case when $6 = 'revoked' then 3 else 1 end,
                    'us-east', 0, false, $7, ($7 at time zone 'UTC')::date, $6, null, now())
            """, voteId, seasonId, clipId ?? Guid.NewGuid(), creatorId ?? Guid.NewGuid(), voterKey, status, acceptedAt);
}
