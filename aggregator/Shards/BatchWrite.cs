using AiMoviez.Aggregator.Rules;
using AiMoviez.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// The write of a decided batch, under the writer lock: one set-based statement applies the batch's net change per
/// tally and day row and marks revoked votes, then tombstones, views, the shard's status, genre votes and, last, the
/// fresh tallies of the touched slots (and genre counts) for the regions.
/// </summary>
internal static class BatchWrite
{
    // The rules already know which votes are new (the writer lock keeps the shard as they read it), so new votes are
    // copied straight into votes and the count tables take the batch's net change per row, computed in this process.
    private static readonly string ApplyDeltas = $"""
        with t as (
            insert into tallies as x (season_id, slot_position, clip_id, votes, weighted_score, updated_at)
            select d.*, now() from unnest($1::uuid[], $2::int[], $3::uuid[], $4::bigint[], $5::bigint[]) as d
            on conflict (season_id, slot_position, clip_id) do update
            set votes = x.votes + excluded.votes, weighted_score = x.weighted_score + excluded.weighted_score, updated_at = excluded.updated_at),
        vd as ({AddToDays("voter_days", "voter_key", "text", 6)}),
        cd as ({AddToDays("creator_days", "creator_id", "uuid", 11)}),
        kd as ({AddToDays("clip_days", "clip_id", "uuid", 16)}),
        dc as ({RecordDayChanges(22, ("voter_days", 6), ("creator_days", 11), ("clip_days", 16))})
        update votes set status = 'revoked', reason = null, applied_at = now() where vote_id = any($21)
        """;

    private const string AddTombstones = """
        insert into vote_tombstones (vote_id, season_id, slot_position, revoked_at)
        select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[]) on conflict (vote_id) do nothing
        """;

    private const string AddViews = """
        with fresh as (
            insert into view_batches (batch_id, season_id, applied_at)
            select distinct b, s, now() from unnest($1::uuid[], $2::uuid[]) as u(b, s)
            on conflict (batch_id) do nothing returning batch_id)
        insert into clip_views as x (season_id, clip_id, views)
        select v.season_id, v.clip_id, sum(v.views) from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[]) as v(batch_id, season_id, clip_id, views)
        join fresh using (batch_id) group by 1, 2
        on conflict (season_id, clip_id) do update set views = x.views + excluded.views
        """;

    // Last writer wins per voter by (sequence, change id), so a redelivered change, or one that arrives after a newer one
    // (from another region), changes nothing; the counts take the net change of the rows that did change, read in the
    // statement's snapshot before they changed.
    private const string ApplyGenreVotes = """
        with incoming as (
            select distinct on (voter_key) * from unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::timestamptz[])
                as u(voter_key, genre, sequence, change_id, region, changed_at)
            order by voter_key, sequence desc, change_id desc),
        before as (select g.voter_key, g.genre from genre_votes g join incoming i on i.voter_key = g.voter_key),
        changed as (
            insert into genre_votes as x (voter_key, genre, sequence, change_id, region, changed_at, applied_at)
            select voter_key, genre, sequence, change_id, region, changed_at, now() from incoming
            on conflict (voter_key) do update
            set genre = excluded.genre, sequence = excluded.sequence, change_id = excluded.change_id, region = excluded.region,
                changed_at = excluded.changed_at, applied_at = excluded.applied_at
            where (x.sequence, x.change_id) < (excluded.sequence, excluded.change_id)
            returning x.voter_key, x.genre),
        deltas as (
            select genre, sum(change) as change from (
                select c.genre, 1 as change from changed c where c.genre is not null
                union all
                select b.genre, -1 from before b join changed c on c.voter_key = b.voter_key where b.genre is not null) d
            group by genre having sum(change) <> 0)
        insert into genre_counts as c (genre, votes) select genre, change from deltas
        on conflict (genre) do update set votes = c.votes + excluded.votes
        """;

    private const string MarkApplied = """
        insert into shard_status as x (shard, last_applied_at, votes_applied) values ($1, now(), $2)
        on conflict (shard) do update set last_applied_at = now(), votes_applied = x.votes_applied + excluded.votes_applied
        """;

    /// <summary>The write's statements, in order; built on the rules' thread while the shard still takes the COPY.</summary>
    /// <param name="slots">The slots whose tallies are read back after the write.</param>
    /// <param name="pruneBefore">Deletes day changes older than this, when set.</param>
    public static List<NpgsqlBatchCommand> Commands(string shard, BatchPlan plan, IReadOnlyCollection<(Guid SeasonId, int SlotPosition)> slots,
        List<GenreVoteChanged> genres, DateTimeOffset now, DateTimeOffset? pruneBefore)
    {
        var views = plan.Views.SelectMany(b => b.Views.Select(v => (b.BatchId, b.SeasonId, v.ClipId, (long)v.Views))).ToList();
        List<NpgsqlBatchCommand> commands =
        [
            ApplyDeltasCommand(plan, now),
            new NpgsqlBatchCommand(AddTombstones)
            {
                Parameters =
                {
                    new() { Value = plan.Tombstones.Select(t => t.VoteId).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.SeasonId).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.SlotPosition).ToArray() },
                    new() { Value = plan.Tombstones.Select(t => t.RevokedAt.ToUniversalTime()).ToArray() },
                },
            },
            new NpgsqlBatchCommand(AddViews)
            {
                Parameters =
                {
                    new() { Value = views.Select(v => v.BatchId).ToArray() },
                    new() { Value = views.Select(v => v.SeasonId).ToArray() },
                    new() { Value = views.Select(v => v.ClipId).ToArray() },
                    new() { Value = views.Select(v => v.Item4).ToArray() },
                },
            },
            new NpgsqlBatchCommand(MarkApplied) { Parameters = { new() { Value = shard }, new() { Value = (long)plan.CountedVotes } } },
        ];
        if (pruneBefore is { } before)
        {
            commands.Add(new NpgsqlBatchCommand(ShardSchema.PruneDayChangesSql)
            {
                Parameters = { new() { Value = before }, new() { Value = shard } },
            });
        }

        if (genres.Count > 0)
        {
            commands.Add(new NpgsqlBatchCommand(ApplyGenreVotes)
            {
                Parameters =
                {
                    new() { Value = genres.Select(g => g.VoterKey).ToArray() },
                    new() { Value = genres.Select(g => g.Genre).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = genres.Select(g => g.Sequence).ToArray() },
                    new() { Value = genres.Select(g => g.ChangeId).ToArray() },
                    new() { Value = genres.Select(g => g.Region).ToArray() },
                    new() { Value = genres.Select(g => g.ChangedAt.ToUniversalTime()).ToArray() },
                },
            });
        }

        // Last: their rows are what the batch's reader reads.
        commands.Add(new NpgsqlBatchCommand(TallyReads.ReadTallies)
        {
            Parameters =
            {
                new() { Value = slots.Select(s => s.SeasonId).ToArray() },
                new() { Value = slots.Select(s => s.SlotPosition).ToArray() },
            },
        });
        if (genres.Count > 0)
        {
            commands.Add(new NpgsqlBatchCommand(TallyReads.ReadGenreCounts));
        }

        return commands;
    }

    /// <summary>Runs the <see cref="Commands"/> and reads back the touched slots' tallies and, when asked, the genre counts.</summary>
    public static async Task<(List<SlotTally> Tallies, Dictionary<string, long>? GenreCounts)> ExecuteAsync(NpgsqlConnection connection,
        List<NpgsqlBatchCommand> commands, IReadOnlyCollection<(Guid SeasonId, int SlotPosition)> slots, bool readGenres,
        DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var tallies = await TallyReads.ReadSlotTalliesAsync(reader, slots, asOf, cancellationToken);
        if (!readGenres)
        {
            return (tallies, null);
        }

        await reader.NextResultAsync(cancellationToken);
        return (tallies, await TallyReads.ReadGenreCountsAsync(reader, cancellationToken));
    }

    /// <summary>Upsert of one day table from five array parameters from <c>$first</c>: subject, season, day, votes, weight.</summary>
    private static string AddToDays(string table, string subject, string subjectType, int first) => $"""
        insert into {table} as x ({subject}, season_id, utc_day, votes, weight, updated_at)
            select d.*, now() from unnest(${first}::{subjectType}[], ${first + 1}::uuid[], ${first + 2}::date[], ${first + 3}::bigint[], ${first + 4}::bigint[]) as d
            on conflict ({subject}, season_id, utc_day) do update
            set votes = x.votes + excluded.votes, weight = x.weight + excluded.weight, updated_at = excluded.updated_at
        """;

    /// <summary>
    /// Records in day_changes the keys of the day rows a statement changes, one row per table that has any, from the
    /// subject, season and day array parameters from each table's <c>$first</c>, stamped with parameter
    /// <c>$changedAt</c>: the process's clock, the one its prune of old changes goes by.
    /// </summary>
    private static string RecordDayChanges(int changedAt, params (string Table, int First)[] tables) => $"""
        insert into day_changes (day_table, changed_at, key_count, subjects, season_ids, days)
            select c.* from (values {string.Join(", ", tables.Select(t =>
                $"('{t.Table}', ${changedAt}::timestamptz, cardinality(${t.First}), ${t.First}::text[], ${t.First + 1}::uuid[], ${t.First + 2}::date[])"))})
            as c(day_table, changed_at, key_count, subjects, season_ids, days)
            where c.key_count > 0
        """;

    private static NpgsqlBatchCommand ApplyDeltasCommand(BatchPlan plan, DateTimeOffset changedAt)
    {
        var deltas = BatchDeltas.Of(plan);
        var command = new NpgsqlBatchCommand(ApplyDeltas);
        Add(deltas.Tallies.Select(r => r.Key.SeasonId), deltas.Tallies.Select(r => r.Key.SlotPosition), deltas.Tallies.Select(r => r.Key.ClipId),
            deltas.Tallies.Select(r => r.Change));
        Add(deltas.VoterDays.Select(r => r.Key.VoterKey), deltas.VoterDays.Select(r => r.Key.SeasonId), deltas.VoterDays.Select(r => r.Key.Day),
            deltas.VoterDays.Select(r => r.Change));
        Add(deltas.CreatorDays.Select(r => r.Key.CreatorId), deltas.CreatorDays.Select(r => r.Key.SeasonId),
            deltas.CreatorDays.Select(r => r.Key.Day), deltas.CreatorDays.Select(r => r.Change));
        Add(deltas.ClipDays.Select(r => r.Key.ClipId), deltas.ClipDays.Select(r => r.Key.SeasonId), deltas.ClipDays.Select(r => r.Key.Day),
            deltas.ClipDays.Select(r => r.Change));
        command.Parameters.Add(new NpgsqlParameter { Value = plan.Revoked.Select(v => v.VoteId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = changedAt });
        return command;

        void Add<T1, T2, T3>(IEnumerable<T1> first, IEnumerable<T2> second, IEnumerable<T3> third, IEnumerable<Delta> changes)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = first.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = second.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = third.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Votes).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Weight).ToArray() });
        }
    }
}
