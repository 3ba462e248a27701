using AiMoviez.Contracts;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class ErasureTests(CoreFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Theory]
    [InlineData("/v1/me")]
    [InlineData("/v1/me?confirm=")]
    [InlineData("/v1/me?confirm=delete%20my%20account")]
    [InlineData("/v1/me?confirm=DELETE%20MY%20ACCOUNT%20")]
    public async Task Deleting_an_account_needs_the_exact_confirmation(string path)
    {
        var user = NewUser();
        var audits = await fixture.AuditCountAsync();

        using var response = await user.Client.DeleteAsync(path);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "INVALID_REQUEST");
        Assert.Equal(audits, await fixture.AuditCountAsync());
    }

    [Fact]
    public async Task Export_and_deletion_need_a_signed_in_user_and_the_admin_erase_an_admin()
    {
        using (var response = await fixture.Anonymous.GetAsync("/v1/me/export"))
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
        }

        using (var response = await fixture.Anonymous.DeleteAsync("/v1/me?confirm=DELETE%20MY%20ACCOUNT"))
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
        }

        using (var response = await fixture.User.PostAsync("/v1/admin/users/someone/erase", null))
        {
            await response.AssertProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task The_export_holds_the_profile_clips_votes_of_every_shard_bans_and_audit_entries_and_a_place_for_the_genre_vote()
    {
        var user = NewUser();
        var (s1, shard1, _, s2, shard2, _) = await SeasonsOnBothShardsAsync();
        var v1 = Guid.NewGuid();
        var v2 = Guid.NewGuid();
        await MeTests.WriteVoteAsync(shard1, user.VoterKey, s1, v1, DateTime.UtcNow.AddMinutes(-2));
        await MeTests.WriteVoteAsync(shard2, user.VoterKey, s2, v2, DateTime.UtcNow.AddMinutes(-1));
        await MeTests.WriteVoterDayAsync(shard1, user.VoterKey, s1, Today, votes: 1, weight: 1);
        var clip = await fixture.CreateClipAsync(s1, user.Client);
        (await fixture.Admin.PutAsJsonAsync($"/v1/admin/voters/{user.VoterKey}/ban", new { banned = true })).EnsureSuccessStatusCode();

        var export = (await user.Client.GetFromJsonAsync<JsonObject>("/v1/me/export"))!;

        Assert.Equal(user.Id, export["profile"]!["userId"]!.GetValue<string>());
        Assert.Equal(user.VoterKey, export["profile"]!["voterKey"]!.GetValue<string>());
        Assert.Equal(clip["creatorId"]!.GetValue<Guid>(), export["profile"]!["creatorId"]!.GetValue<Guid>());
        Assert.Equal([clip.Id()], export["clips"]!.AsArray().Select(c => c!["id"]!.GetValue<Guid>()));
        Assert.Equal([v1, v2], export["votes"]!.AsArray().Select(v => v!["voteId"]!.GetValue<Guid>()));
        Assert.Equal(1, export["votingDays"]!.AsArray().Single()!["votes"]!.GetValue<long>());
        Assert.True(export.ContainsKey("genreVote"));
        Assert.Null(export["genreVote"]);
        Assert.Equal(user.VoterKey, export["bans"]!.AsArray().Single()!["subject"]!.GetValue<string>());
        Assert.Contains(export["auditEntries"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "voter.ban");
    }

    [Fact]
    public async Task Deleting_an_account_anonymises_its_votes_everywhere_removes_unlocked_clips_and_clears_bans_and_edge_redis()
    {
        var user = NewUser();
        var (s1, shard1, _, s2, shard2, _) = await SeasonsOnBothShardsAsync();
        var winner = await fixture.CreateClipAsync(s1, user.Client, title: "Winner");
        var pending = await fixture.CreateClipAsync(s2, user.Client, title: "Pending");
        var creatorId = winner["creatorId"]!.GetValue<Guid>();
        await fixture.ApproveAsync(winner.Id());
        await fixture.ActivateAsync(s1);
        (await fixture.Admin.PostAsJsonAsync($"/v1/admin/seasons/{s1}/slots/1/assign-winner", new { clipId = winner.Id() })).EnsureSuccessStatusCode();
        (await fixture.Admin.PutAsJsonAsync($"/v1/admin/users/{user.Id}/ban", new { banned = true })).EnsureSuccessStatusCode();

        var mine = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        var otherClip = Guid.NewGuid();
        await MeTests.WriteVoteAsync(shard1, user.VoterKey, s1, mine[0], DateTime.UtcNow.AddMinutes(-3), clipId: otherClip);
        await MeTests.WriteVoteAsync(shard1, user.VoterKey, s1, mine[1], DateTime.UtcNow.AddMinutes(-2), status: "revoked", clipId: otherClip);
        await MeTests.WriteVoteAsync(shard2, user.VoterKey, s2, mine[2], DateTime.UtcNow.AddMinutes(-1));
        var onMyClip = Guid.NewGuid();
        await MeTests.WriteVoteAsync(shard1, "user_fan-" + user.Id, s1, onMyClip, DateTime.UtcNow, clipId: winner.Id(), creatorId: creatorId);
        await MeTests.WriteVoterDayAsync(shard1, user.VoterKey, s1, Today, votes: 1, weight: 1);
        await MeTests.WriteVoterDayAsync(shard2, user.VoterKey, s2, Today, votes: 1, weight: 1);
        await MeTests.WriteDayAsync(shard1, "creator_days", "creator_id", creatorId, s1, Today, votes: 1, weight: 1);
        await ShardSchema.ExecuteAsync(shard1, """
            insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            values ('voter_days', now(), 1, array[$1::text], array[$2::uuid], array[$3::date])
            """, user.VoterKey, s1, Today);
        await Eventually.UntilAsync(() => LeaderboardRowsAsync(user.VoterKey), n => n > 0, Patience, "the voter to reach the leaderboards");
        var countedBefore = await CountedPerClipAsync(shard1, s1);

        var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Stack.Redis["us-east"].Endpoint);
        var db = redis.GetDatabase();
        // Named as the edges name them: every key of the voter with the voter's hash tag (VoterBuckets).
        var tag = VoterBuckets.Tag(user.VoterKey);
        // Two earlier multi-votes on a clip, known only to the edge's Redis so far (not in a shard yet).
        var onlyAtTheEdge = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var theirs = new RedisKey[]
        {
            $"rl:v:{tag}:{user.VoterKey}", $"vs:{tag}:{user.VoterKey}:{s2}:1", $"vote:{tag}:{user.VoterKey}:{s2}:2:{Guid.NewGuid()}",
            $"day:{tag}:{user.VoterKey}:{Today:yyyyMMdd}", $"idem:{tag}:{user.VoterKey}:key-1", VoterBuckets.ReceiptKey(mine[2]),
            VoterBuckets.ReceiptKey(mine[0]), $"genre:{tag}:{user.VoterKey}",
            VoterBuckets.ReceiptKey(onlyAtTheEdge[0]), VoterBuckets.ReceiptKey(onlyAtTheEdge[1]),
        };
        await db.StringSetAsync(theirs[0], "x");
        var multiVotedClip = Guid.NewGuid();
        await db.HashSetAsync(theirs[1], [new("c:" + Guid.NewGuid(), mine[0].ToString()), new("c:" + multiVotedClip, Guid.NewGuid().ToString()),
            new("p:" + multiVotedClip, $"{onlyAtTheEdge[0]} {onlyAtTheEdge[1]}")]);
        foreach (var receipt in theirs[8..])
        {
            await db.HashSetAsync(receipt, [new("status", "accepted"), new("idem", "")]);
        }

        // A vote key as edges kept them before the slot hash, still alive for a day after its slot closed.
        await db.StringSetAsync(theirs[2], mine[2].ToString());
        await db.StringSetAsync(theirs[3], "2");
        await db.StringSetAsync(theirs[4], "answer");
        await db.HashSetAsync(theirs[5], [new("status", "counted"), new("voter", user.VoterKey), new("idem", "")]);
        await db.HashSetAsync(theirs[6], [new("status", "counted"), new("voter", user.VoterKey), new("idem", (string)theirs[4]!)]);
        await db.HashSetAsync(theirs[7], [new("genre", "Comedy"), new("seq", "1")]);
        var someoneElses = new RedisKey[] { $"rl:v:{VoterBuckets.Tag(user.VoterKey + "x")}:{user.VoterKey}x", $"day:{user.VoterKey}x:{Today:yyyyMMdd}", "receipt:" + onMyClip };
        foreach (var key in someoneElses)
        {
            await db.StringSetAsync(key, "keep");
        }

        var audits = await fixture.AuditCountAsync();
        using var response = await user.Client.DeleteAsync("/v1/me?confirm=DELETE%20MY%20ACCOUNT");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var erasureId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["erasureId"]!.GetValue<Guid>();
        Assert.Equal(audits + 1, await fixture.AuditCountAsync());

        // The catalog's part is done in the request.
        using (var gone = await fixture.Anonymous.GetAsync($"/v1/clips/{pending.Id()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        var kept = (await fixture.Anonymous.GetFromJsonAsync<JsonObject>($"/v1/clips/{winner.Id()}"))!;
        Assert.Equal("locked", kept["status"]!.GetValue<string>());
        Assert.NotEqual(creatorId, kept["creatorId"]!.GetValue<Guid>());
        Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
            "select count(*) from bans where subject in ($1, $2)", user.Id, user.VoterKey));

        await WaitCompleteAsync(erasureId);

        foreach (var shard in new[] { shard1, shard2 })
        {
            Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(shard, "select count(*) from votes where voter_key = $1", user.VoterKey));
            Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(shard, "select count(*) from voter_days where voter_key = $1", user.VoterKey));
            Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(shard, "select count(*) from votes where creator_id = $1", creatorId));
            Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(shard, "select count(*) from creator_days where creator_id = $1", creatorId));
        }

        // The votes stay, with their statuses, under one anonymous key.
        var erased = await ShardSchema.ScalarAsync<string>(shard1, "select voter_key from votes where vote_id = $1", mine[0]);
        Assert.StartsWith("erased_", erased);
        Assert.Equal("revoked", await ShardSchema.ScalarAsync<string>(shard1, "select status from votes where vote_id = $1", mine[1]));
        Assert.Equal(erased, await ShardSchema.ScalarAsync<string>(shard2, "select voter_key from votes where vote_id = $1", mine[2]));
        Assert.Equal(1L, await ShardSchema.ScalarAsync<long>(shard1, "select votes from voter_days where voter_key = $1", erased));
        Assert.Equal(countedBefore, await CountedPerClipAsync(shard1, s1));
        Assert.Equal(1L, await ShardSchema.ScalarAsync<long>(shard1,
            "select count(*) from day_changes where day_table = 'voter_days' and $1 = any(subjects) and $2 = any(subjects)", user.VoterKey, erased));

        foreach (var key in theirs)
        {
            Assert.False(await db.KeyExistsAsync(key), $"{key} should be erased");
        }

        foreach (var key in someoneElses)
        {
            Assert.True(await db.KeyExistsAsync(key), $"{key} is someone else's");
        }

        // The leaderboards keep the counts under the anonymous key only.
        await Eventually.UntilAsync(() => LeaderboardRowsAsync(user.VoterKey), n => n == 0, Patience, "the voter to leave the leaderboards");
        Assert.True(await LeaderboardRowsAsync(erased) > 0);

        // Nothing links the user to the anonymous key any more, and what is left about them is nothing.
        Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
            "select count(*) from erasures where id = $1 and (erased_voter_key is not null or voter_key is not null or clip_ids is not null)", erasureId));
        var export = (await user.Client.GetFromJsonAsync<JsonObject>("/v1/me/export"))!;
        Assert.Empty(export["votes"]!.AsArray());
        Assert.Empty(export["clips"]!.AsArray());
        Assert.Empty(export["bans"]!.AsArray());
        var stats = (await user.Client.GetFromJsonAsync<JsonObject>("/v1/me/stats"))!;
        Assert.Equal(0, stats["totalVotes"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_erasure_asked_while_a_shard_is_down_completes_once_the_shard_is_back()
    {
        var user = NewUser();
        var (s1, shard1, _, s2, shard2, down) = await SeasonsOnBothShardsAsync();
        var up = Guid.NewGuid();
        var later = Guid.NewGuid();
        await MeTests.WriteVoteAsync(shard1, user.VoterKey, s1, up, DateTime.UtcNow.AddMinutes(-1));
        await MeTests.WriteVoteAsync(shard2, user.VoterKey, s2, later, DateTime.UtcNow);

        var audits = await fixture.AuditCountAsync();
        await down.StopAsync();
        Guid erasureId;
        try
        {
            using var response = await fixture.Admin.PostAsync($"/v1/admin/users/{user.Id}/erase", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            erasureId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["erasureId"]!.GetValue<Guid>();
            Assert.Equal(audits + 1, await fixture.AuditCountAsync());
            var entry = await ShardSchema.ScalarAsync<string>(fixture.CatalogConnectionString,
                "select action || ' ' || resource_type || ' ' || resource_id || ' ' || actor from audit_logs order by seq desc limit 1");
            Assert.Equal($"user.erase user {user.Id} admin-1", entry);

            // The shard that answers is done; the one that is down keeps failing and stays pending, as do the regions.
            await Eventually.UntilAsync(() => StepsAsync(erasureId),
                steps => steps.Count(s => s.Done) == 1 && steps.Any(s => !s.Done && s.Attempts >= 2), Patience, "the live shard's step to finish and the other to fail");
            Assert.StartsWith("erased_", await ShardSchema.ScalarAsync<string>(shard1, "select voter_key from votes where vote_id = $1", up));
            Assert.Equal(0L, await ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
                "select count(*) from erasures where id = $1 and completed_at is not null", erasureId));
        }
        finally
        {
            await down.StartAsync();
            // This process's pooled connections to the restarted server are dead.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }

        await WaitCompleteAsync(erasureId);
        Assert.StartsWith("erased_", await ShardSchema.ScalarAsync<string>(shard2, "select voter_key from votes where vote_id = $1", later));
        Assert.All(await StepsAsync(erasureId), s => Assert.True(s.Done));
    }

    /// <summary>The catalog's current totals of a leaderboard subject (its day totals are also the rollup's copies).</summary>
    private Task<long> LeaderboardRowsAsync(string subject) => ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
        "select count(*) from leaderboard_totals where subject = $1 and valid_to is null", subject);

    [Fact]
    public async Task An_erasure_asked_while_a_region_s_redis_is_down_completes_once_it_is_back()
    {
        var user = NewUser();
        var redis = fixture.Stack.Redis["us-east"];
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint))
        {
            await connection.GetDatabase().StringSetAsync($"day:{user.VoterKey}:{Today:yyyyMMdd}", "5");
        }

        await redis.FreezeAsync();
        Guid erasureId;
        try
        {
            using var response = await fixture.Admin.PostAsync($"/v1/admin/users/{user.Id}/erase", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            erasureId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["erasureId"]!.GetValue<Guid>();
            await Eventually.UntilAsync(() => StepsAsync(erasureId),
                steps => steps.Single(s => s.Target == "region:us-east") is { Done: false, Attempts: >= 1 } && steps.Where(s => s.Target.StartsWith("shard:")).All(s => s.Done),
                Patience, "the shards to be done and the region's step to fail");
        }
        finally
        {
            await redis.ThawAsync();
        }

        await WaitCompleteAsync(erasureId);
        await using var after = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        Assert.False(await after.GetDatabase().KeyExistsAsync($"day:{user.VoterKey}:{Today:yyyyMMdd}"));
    }

    private async Task WaitCompleteAsync(Guid erasureId) =>
        await Eventually.UntilAsync(() => ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
            "select count(*) from erasures where id = $1 and completed_at is not null", erasureId), n => n == 1, Patience, "the erasure to complete");

    private async Task<List<(string Target, bool Done, int Attempts)>> StepsAsync(Guid erasureId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.CatalogConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select target, done_at is not null, attempts from erasure_steps where erasure_id = $1", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = erasureId });
        var steps = new List<(string, bool, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            steps.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetInt32(2)));
        }

        return steps;
    }

    private static async Task<string> CountedPerClipAsync(string shard, Guid seasonId) =>
        await ShardSchema.ScalarAsync<string>(shard, """
            select coalesce(string_agg(clip_id || ':' || n || ':' || w, ',' order by clip_id), '')
            from (select clip_id, count(*) n, sum(weight) w from votes where season_id = $1 and status = 'counted' group by clip_id) c
            """, seasonId);

    private (HttpClient Client, string Id, string VoterKey) NewUser()
    {
        var id = "erase-" + Guid.NewGuid().ToString("N")[..10];
        return (fixture.Client(fixture.Stack.UserToken(id)), id, "user_" + id);
    }

    private async Task<(Guid S1, string Shard1, PostgresServer Server1, Guid S2, string Shard2, PostgresServer Server2)> SeasonsOnBothShardsAsync()
    {
        var map = new Contracts.ShardMap(fixture.Stack.Topology);
        var a = await fixture.CreateSeasonAsync();
        var b = await fixture.CreateSeasonAsync();
        var na = a["number"]!.GetValue<int>();
        var nb = b["number"]!.GetValue<int>();
        Assert.NotEqual(map.ShardFor(na), map.ShardFor(nb));
        return (a.Id(), fixture.ShardOf(na), fixture.Stack.Shards[map.ShardFor(na)!], b.Id(), fixture.ShardOf(nb), fixture.Stack.Shards[map.ShardFor(nb)!]);
    }
}
