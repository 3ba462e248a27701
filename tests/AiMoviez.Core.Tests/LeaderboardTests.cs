using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class LeaderboardTests(CoreFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task Voters_are_merged_across_shards_and_pages_join_without_gaps_or_repeats_while_counts_change()
    {
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        var prefix = "user_lb" + Guid.NewGuid().ToString("N")[..6] + "_";
        var expected = new Dictionary<string, long>();
        for (var i = 0; i < 25; i++)
        {
            await WriteDayAsync(shard1, "voter_days", "voter_key", prefix + i, s1, votes: i + 1);
            expected[prefix + i] = i + 1;
            if (i % 2 == 0)
            {
                await WriteDayAsync(shard2, "voter_days", "voter_key", prefix + i, s2, votes: 10);
                expected[prefix + i] += 10;
            }
        }

        await Eventually.UntilAsync(async () => Totals(await AllPagesAsync("/v1/leaderboards/voters?period=all", prefix)),
            totals => totals.Count == expected.Count && totals.All(t => expected[t.Key] == t.Value), Patience, "the rollup to merge both shards");

        var first = await GetAsync("/v1/leaderboards/voters?period=all&limit=4");
        var pages = new List<JsonNode>(Items(first));
        var asOf = first["asOf"]!.GetValue<DateTimeOffset>();

        // Counts move under the reader: one voter jumps to the top, one drops out of the ranking, a new one appears.
        await WriteDayAsync(shard1, "voter_days", "voter_key", prefix + "3", s1, votes: 1000);
        await WriteDayAsync(shard1, "voter_days", "voter_key", prefix + "24", s1, votes: 0);
        await WriteDayAsync(shard2, "voter_days", "voter_key", prefix + "new", s2, votes: 700);
        await Eventually.UntilAsync(() => GetAsync("/v1/leaderboards/voters?period=all&limit=1"),
            page => Items(page).Single()["voterKey"]!.GetValue<string>() == prefix + "3", Patience, "the change to reach the leaderboard");

        var cursor = first["nextCursor"]?.GetValue<string>();
        while (cursor is not null)
        {
            var page = await GetAsync($"/v1/leaderboards/voters?period=all&limit=4&cursor={Uri.EscapeDataString(cursor)}");
            Assert.Equal(asOf, page["asOf"]!.GetValue<DateTimeOffset>());
            pages.AddRange(Items(page));
            cursor = page["nextCursor"]?.GetValue<string>();
        }

        var ours = pages.Where(p => p["voterKey"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Count, ours.Count);
        Assert.Equal(expected, Totals(ours));
        Assert.Equal(Enumerable.Range(1, pages.Count), pages.Select(p => p["rank"]!.GetValue<int>()));
        var votes = pages.Select(p => p["votes"]!.GetValue<long>()).ToList();
        Assert.Equal(votes.OrderDescending(), votes);
    }

    [Fact]
    public async Task Equal_counts_rank_the_one_that_reached_them_first_first_and_pages_split_inside_a_tie()
    {
        var (s1, shard1, _, _) = await SeasonsOnBothShardsAsync();
        var prefix = "user_lbt" + Guid.NewGuid().ToString("N")[..6] + "_";
        var path = $"/v1/leaderboards/voters?seasonId={s1}&period=all";
        // Three rollup generations, each reaching 5 votes with subjects that sort before the earlier ones'.
        string[][] generations = [["e", "f"], ["c", "d"], ["a", "b", "top"]];
        foreach (var generation in generations)
        {
            foreach (var name in generation)
            {
                await WriteDayAsync(shard1, "voter_days", "voter_key", prefix + name, s1, votes: name == "top" ? 9 : 5);
            }

            await Eventually.UntilAsync(async () => Totals(await AllPagesAsync(path, prefix)),
                totals => generation.All(name => totals.ContainsKey(prefix + name)), Patience, "the generation to be rolled up");
        }

        var pages = await PagesAsync(path, limit: 2);
        Assert.Equal(["top", "e", "f", "c", "d", "a", "b"], pages.Select(p => p["voterKey"]!.GetValue<string>()[prefix.Length..]));
        Assert.Equal(Enumerable.Range(1, 7), pages.Select(p => p["rank"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Clips_and_creators_boards_filter_by_season_and_period()
    {
        var (s1, shard1, s2, shard2) = await SeasonsOnBothShardsAsync();
        var clip = await fixture.CreateClipAsync(s1, title: "Leader clip");
        var creator = Guid.NewGuid();
        await WriteDayAsync(shard1, "clip_days", "clip_id", clip.Id(), s1, votes: 7);
        await WriteDayAsync(shard1, "creator_days", "creator_id", creator, s1, votes: 5);
        await WriteDayAsync(shard2, "creator_days", "creator_id", creator, s2, votes: 4);
        await WriteDayAsync(shard2, "creator_days", "creator_id", creator, s2, votes: 100, day: Today.AddDays(-40));

        var clips = await Eventually.UntilAsync(() => GetAsync($"/v1/leaderboards/clips?seasonId={s1}&period=day"),
            page => Items(page).Count == 1, Patience, "the clip to rank");
        var item = Items(clips).Single();
        Assert.Equal(clip.Id(), item["clipId"]!.GetValue<Guid>());
        Assert.Equal(s1, item["seasonId"]!.GetValue<Guid>());
        Assert.Equal("Leader clip", item["title"]!.GetValue<string>());
        Assert.Equal(7, item["votes"]!.GetValue<long>());

        long CreatorVotes(JsonObject page) =>
            Items(page).SingleOrDefault(i => i["creatorId"]!.GetValue<Guid>() == creator)?["votes"]!.GetValue<long>() ?? 0;
        await Eventually.UntilAsync(() => GetAsync("/v1/leaderboards/creators?period=all&limit=100"),
            page => CreatorVotes(page) == 109, Patience, "all-time creator votes over both shards");
        Assert.Equal(9, CreatorVotes(await GetAsync("/v1/leaderboards/creators?period=week&limit=100")));
        Assert.Equal(9, CreatorVotes(await GetAsync("/v1/leaderboards/creators?period=day&limit=100")));
        Assert.Equal(5, CreatorVotes(await GetAsync($"/v1/leaderboards/creators?period=day&seasonId={s1}")));
    }

    [Theory]
    [InlineData("/v1/leaderboards/voters?limit=101", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    [InlineData("/v1/leaderboards/voters?limit=0", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    [InlineData("/v1/leaderboards/voters?period=month", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    [InlineData("/v1/leaderboards/voters?cursor=garbage", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    // A cursor from before ties ranked by generation: it names no generation for its last row.
    [InlineData("/v1/leaderboards/voters?cursor=eyJHIjoxLCJQIjoiMjAyNi0wMS0wMSIsIlYiOjUsIlMiOiJ4IiwiUiI6MX0", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    [InlineData("/v1/leaderboards/voters?seasonId=not-a-uuid", HttpStatusCode.BadRequest, "INVALID_REQUEST")]
    [InlineData("/v1/leaderboards/voters?seasonId=0198a3c4-1111-7000-8000-000000000009", HttpStatusCode.NotFound, "NOT_FOUND")]
    [InlineData("/v1/leaderboards/genres", HttpStatusCode.NotFound, "NOT_FOUND")]
    public async Task Bad_leaderboard_queries_are_problems(string path, HttpStatusCode status, string code)
    {
        using var response = await fixture.Anonymous.GetAsync(path);
        await response.AssertProblemAsync(status, code);
    }

    [Fact]
    public async Task A_table_whose_changes_were_pruned_unread_is_read_whole()
    {
        var (s1, shard1, _, _) = await SeasonsOnBothShardsAsync();
        var prefix = "user_lbp" + Guid.NewGuid().ToString("N")[..6] + "_";
        await WriteDayAsync(shard1, "voter_days", "voter_key", prefix + "seen", s1, votes: 5);
        await Eventually.UntilAsync(async () => Totals(await AllPagesAsync("/v1/leaderboards/voters?period=all", prefix)),
            totals => totals.GetValueOrDefault(prefix + "seen") == 5, Patience, "the change to be rolled up");

        // A row changes and its change is pruned before the rollup reads it (the aggregator's retention ran out): the
        // change is never seen, only the floor that passes it. One statement, so the rollup reads both or neither.
        await ShardSchema.ExecuteAsync(shard1, """
            with written as (
                insert into voter_days (voter_key, season_id, utc_day, votes, weight, updated_at) values ($1, $2, $3, 42, 84, now()))
            insert into shard_status (shard, votes_applied, day_changes_floor)
            values ('pruned-test', 0, nextval(pg_get_serial_sequence('day_changes', 'seq')))
            on conflict (shard) do update set day_changes_floor = excluded.day_changes_floor
            """, prefix + "pruned", s1, Today);

        await Eventually.UntilAsync(async () => Totals(await AllPagesAsync("/v1/leaderboards/voters?period=all", prefix)),
            totals => totals.GetValueOrDefault(prefix + "pruned") == 42 && totals[prefix + "seen"] == 5, Patience,
            "the whole table to be read");
    }

    [Fact]
    public async Task A_voter_changed_again_later_in_a_pass_gets_no_second_version()
    {
        var (s1, shard1, _, _) = await SeasonsOnBothShardsAsync();
        var prefix = "user_lbf" + Guid.NewGuid().ToString("N")[..6] + "_";
        var voter = prefix + "twice";
        // Two aggregator batches name the voter, with nine other voters between them: more keys than one rollup batch
        // takes (RollupBatchSize 10). One statement, so the pass sees both or neither.
        await ShardSchema.ExecuteAsync(shard1, """
            with written as (
                insert into voter_days (voter_key, season_id, utc_day, votes, weight, updated_at)
                select k, $2, $3, case when k = $1 then 3 else 1 end, 2, now()
                from unnest(array_append(array(select $4 || n from generate_series(0, 8) n), $1)) k)
            insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            select 'voter_days', now(), cardinality(c.subjects), c.subjects, array_fill($2::uuid, array[cardinality(c.subjects)]),
                   array_fill($3::date, array[cardinality(c.subjects)])
            from (values (1, array_prepend($1, array(select $4 || n from generate_series(0, 8) n))), (2, array[$1])) c(i, subjects)
            order by c.i
            """, voter, s1, Today, prefix);

        await Eventually.UntilAsync(async () => Totals(await AllPagesAsync("/v1/leaderboards/voters?period=all", prefix)),
            totals => totals.Count == 10 && totals[voter] == 3, Patience, "the changes to be rolled up");
        // Its season row and its all-seasons row, one version each: the second batch found them current.
        Assert.Equal(2, await ShardSchema.ScalarAsync<long>(fixture.CatalogConnectionString,
            "select count(*) from leaderboard_totals where board = 'voters' and subject = $1", voter));
    }

    private async Task<(Guid S1, string Shard1, Guid S2, string Shard2)> SeasonsOnBothShardsAsync()
    {
        var a = await fixture.CreateSeasonAsync();
        var b = await fixture.CreateSeasonAsync();
        return (a.Id(), fixture.ShardOf(a["number"]!.GetValue<int>()), b.Id(), fixture.ShardOf(b["number"]!.GetValue<int>()));
    }

    private async Task<JsonObject> GetAsync(string path) => (await fixture.Anonymous.GetFromJsonAsync<JsonObject>(path))!;

    private static List<JsonNode> Items(JsonObject page) => page["items"]!.AsArray().Select(i => i!).ToList();

    private static Dictionary<string, long> Totals(IEnumerable<JsonNode> items) =>
        items.ToDictionary(i => i["voterKey"]!.GetValue<string>(), i => i["votes"]!.GetValue<long>());

    private async Task<List<JsonNode>> AllPagesAsync(string path, string prefix) =>
        (await PagesAsync(path, limit: 100)).Where(i => i["voterKey"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal)).ToList();

    /// <summary>Every item of a board, following its cursors <paramref name="limit"/> items a page.</summary>
    private async Task<List<JsonNode>> PagesAsync(string path, int limit)
    {
        var all = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await GetAsync($"{path}&limit={limit}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}");
            all.AddRange(Items(page));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return all;
    }

    /// <summary>Sets a day row and records its key in day_changes, as an aggregator batch does.</summary>
    private static Task WriteDayAsync(string shard, string table, string keyColumn, object key, Guid seasonId, long votes, DateOnly? day = null) =>
        ShardSchema.ExecuteAsync(shard, $"""
            with written as (
                insert into {table} ({keyColumn}, season_id, utc_day, votes, weight, updated_at) values ($1, $2, $3, $4, $4 * 2, clock_timestamp())
                on conflict ({keyColumn}, season_id, utc_day) do update set votes = excluded.votes, weight = excluded.weight, updated_at = excluded.updated_at)
            {RecordChange(table)}
            """, key, seasonId, day ?? Today, votes);

    private static string RecordChange(string table) => $"""
        insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
        values ('{table}', now(), 1, array[$1::text], array[$2::uuid], array[$3::date])
        """;
}
