using AiMoviez.Core.Clips;
using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.Me;

/// <summary>
/// What a signed-in user sees of themselves, read from every shard's day rows (voter_days, creator_days, clip_days: the
/// counted votes the aggregator keeps per day) and, for the vote list, from the shard's index of signed-in voters' votes;
/// never by scanning the votes table.
/// </summary>
internal static class MeQueries
{
    /// <summary>
    /// Selects a signed-in voter's votes through the shards' partial index <c>votes_by_user</c> (the aggregator's shard
    /// schema v7): the clause repeats the index predicate so the planner may use it.
    /// </summary>
    public const string UserVotes = "voter_key = $1 and starts_with(voter_key, 'user_')";

    public sealed record Position(DateTime A, Guid V);

    private sealed record ShardStats(long Votes, long Weight, long WeightToday, long HeldToday, DateOnly[] Days, DateTime? FirstVoteAt,
        long VotesReceived);

    public static async Task<MyStats> StatsAsync(UserKeys keys, ShardDatabases shards, CatalogDatabase catalog, int dailyWeightLimit,
        DateOnly today, CancellationToken ct)
    {
        var perShard = await Task.WhenAll(shards.Names.Select(name => ShardStatsAsync(shards.Shard(name), keys, today, ct)));

        long submitted, won;
        await using (var command = catalog.DataSource.CreateCommand(
            "select count(*) as submitted, count(*) filter (where status = 'locked') as won from clips where creator_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keys.CreatorId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (submitted, won) = (reader.Get<long>("submitted"), reader.Get<long>("won"));
        }

        var weightToday = perShard.Sum(s => s.WeightToday);
        // Votes a review discounted no longer count but still use the allowance (voter_days.held_weight), as they do at
        // the edges and in the aggregator's rules.
        return new MyStats(
            weightToday,
            Math.Max(0, dailyWeightLimit - weightToday - perShard.Sum(s => s.HeldToday)),
            perShard.Sum(s => s.Votes),
            perShard.Sum(s => s.Weight),
            Streak(perShard.SelectMany(s => s.Days).ToHashSet(), today),
            perShard.Select(s => s.FirstVoteAt).Where(t => t is not null).Min(),
            submitted,
            won,
            perShard.Sum(s => s.VotesReceived));
    }

    /// <summary>Consecutive UTC days with a counted vote, ending today, or yesterday while today has none yet.</summary>
    public static int Streak(IReadOnlySet<DateOnly> days, DateOnly today)
    {
        var day = days.Contains(today) ? today : today.AddDays(-1);
        var streak = 0;
        while (days.Contains(day))
        {
            streak++;
            day = day.AddDays(-1);
        }

        return streak;
    }

    private static async Task<ShardStats> ShardStatsAsync(NpgsqlDataSource shard, UserKeys keys, DateOnly today, CancellationToken ct)
    {
        await using var command = shard.CreateCommand($"""
            select coalesce(sum(votes), 0)::bigint as votes, coalesce(sum(weight), 0)::bigint as weight,
                   coalesce(sum(weight) filter (where utc_day = $2), 0)::bigint as weight_today,
                   coalesce(sum(held_weight) filter (where utc_day = $2), 0)::bigint as held_today,
                   coalesce(array_agg(distinct utc_day) filter (where votes > 0), array[]::date[]) as days,
                   (select min(accepted_at) from votes where {UserVotes} and status = 'counted') as first_vote_at,
                   (select coalesce(sum(votes), 0)::bigint from creator_days where creator_id = $3) as votes_received
            from voter_days where voter_key = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.VoterKey });
        command.Parameters.Add(new NpgsqlParameter { Value = today });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.CreatorId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ShardStats(reader.Get<long>("votes"), reader.Get<long>("weight"), reader.Get<long>("weight_today"),
            reader.Get<long>("held_today"), reader.Get<DateOnly[]>("days"), reader.Get<DateTime?>("first_vote_at"),
            reader.Get<long>("votes_received"));
    }

    /// <summary>
    /// The caller's votes before <paramref name="after"/>, newest first, merged over the shards: each shard gives its
    /// first <paramref name="take"/> by one index range, and the merged first <paramref name="take"/> are the page.
    /// </summary>
    public static async Task<List<MyVote>> VotesAsync(UserKeys keys, ShardDatabases shards, Position? after, int take, CancellationToken ct)
    {
        var perShard = await Task.WhenAll(shards.Names.Select(name => ShardVotesAsync(shards.Shard(name), keys.VoterKey, after, take, ct)));
        // PostgreSQL orders uuids by their bytes, as the ordinal order of their hex text does.
        return perShard.SelectMany(v => v)
            .OrderByDescending(v => v.AcceptedAt).ThenByDescending(v => v.VoteId.ToString("N"), StringComparer.Ordinal)
            .Take(take).ToList();
    }

    private static async Task<List<MyVote>> ShardVotesAsync(NpgsqlDataSource shard, string voterKey, Position? after, int take, CancellationToken ct)
    {
        await using var command = shard.CreateCommand($"""
            select vote_id, clip_id, season_id, slot_position, vote_type, weight, status, accepted_at
            from votes where {UserVotes} and (accepted_at, vote_id) < ($2, $3)
            order by accepted_at desc, vote_id desc limit $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = voterKey });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.A ?? Beyond });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.V ?? MaxUuid });
        command.Parameters.Add(new NpgsqlParameter { Value = take });
        var votes = new List<MyVote>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            votes.Add(new MyVote(reader.Get<Guid>("vote_id"), reader.Get<Guid>("clip_id"), reader.Get<Guid>("season_id"),
                reader.Get<int>("slot_position"), reader.Get<string>("vote_type"), reader.Get<int>("weight"), reader.Get<string>("status"),
                reader.Get<DateTime>("accepted_at")));
        }

        return votes;
    }

    private static readonly Guid MaxUuid = Guid.AllBitsSet;

    /// <summary>Later than any row: the first page starts here.</summary>
    private static readonly DateTime Beyond = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public sealed record ClipPosition(DateTime C, Guid I);

    /// <summary>The caller's clips before <paramref name="after"/>, newest first, with the votes each received on its shard.</summary>
    public static async Task<List<MyClip>> ClipsAsync(UserKeys keys, ShardDatabases shards, CatalogDatabase catalog, ClipPosition? after,
        int take, CancellationToken ct)
    {
        List<ClipResponse> clips;
        var seasonNumbers = new Dictionary<Guid, int>();
        await using (var tx = await catalog.BeginAsync(ct))
        {
            await using (var command = tx.Command($"""
                select {ClipReader.Columns} from clips where creator_id = $1 and (created_at, id) < ($2, $3)
                order by created_at desc, id desc limit $4
                """, keys.CreatorId, after?.C ?? Beyond, after?.I ?? MaxUuid, take))
            {
                clips = await ClipReader.ReadAllAsync(command, ct);
            }

            await using (var command = tx.Command("select id, number from seasons where id = any($1)", clips.Select(c => c.SeasonId).Distinct().ToArray()))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    seasonNumbers[reader.Get<Guid>("id")] = reader.Get<int>("number");
                }
            }

            await tx.CommitAsync(audit: null, ct);
        }

        var counts = new Dictionary<Guid, (long Votes, long Weight)>();
        var byShard = clips.GroupBy(c => shards.Map.ShardFor(seasonNumbers[c.SeasonId]));
        foreach (var group in byShard.Where(g => g.Key is not null))
        {
            await using var command = shards.Shard(group.Key!).CreateCommand("""
                select clip_id, sum(votes)::bigint as votes, sum(weight)::bigint as weight from clip_days where clip_id = any($1) group by clip_id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = group.Select(c => c.Id).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                counts[reader.Get<Guid>("clip_id")] = (reader.Get<long>("votes"), reader.Get<long>("weight"));
            }
        }

        return clips.Select(c => MyClip.From(c, counts.GetValueOrDefault(c.Id).Votes, counts.GetValueOrDefault(c.Id).Weight)).ToList();
    }
}
