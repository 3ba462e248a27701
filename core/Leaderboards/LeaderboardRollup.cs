using System.Globalization;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Core.Leaderboards;

/// <summary>
/// Rolls the shards' day rows (clip_days, voter_days, creator_days) into the catalog's leaderboard totals, so a
/// leaderboard page is one bounded index range scan however many shards and seasons it spans. Each shard table is
/// followed through the shard's day_changes: the keys of the rows each aggregator batch (or reset) changed, in commit
/// order. A pass takes the distinct subjects and seasons the changes since its position name and, RollupBatchSize of
/// them per batch, reads all of each subject's day rows in that season (a season lives on one shard) into its season's
/// totals row: its latest day, that day's ISO week and all time. The subject's all-seasons row takes the change of its
/// season rows (<see cref="LeaderboardTotals.Merge"/>). Each batch is one new generation. A table is read whole once
/// (in batches) when core has no position on it or the aggregator has pruned changes core has not read; season rows
/// are computed from the shard, never added to, so reading a row again is harmless. Runs under an advisory lock (one
/// core at a time).
/// </summary>
internal sealed class LeaderboardRollup(CatalogDatabase catalog, ShardDatabases shards, IOptions<LeaderboardOptions> options,
    ILogger<LeaderboardRollup> logger) : ExclusivePeriodicService(catalog, logger)
{
    /// <summary>
    /// Bounds one table's share of a pass so a large backlog cannot starve the other tables: at most this many batches
    /// of RollupBatchSize distinct keys, well above what one interval of a busy shard's changes names.
    /// </summary>
    private const int MaxBatchesPerPass = 20;

    /// <summary>Bounds the reads of changes in a pass when they name few distinct keys over and over (the clips').</summary>
    private const int MaxChangeReadsPerPass = 1000;

    protected override long LockKey => 0x41694d6f7669_03;

    protected override TimeSpan Interval => options.Value.RollupInterval;

    protected override async Task RunPassAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var shard in shards.Names)
        {
            foreach (var board in LeaderboardBoard.All)
            {
                await RollUpAsync(connection, shard, board, ct);
            }
        }

        await CollectRetiredAsync(connection, ct);
    }

    private sealed record SeasonKey(string Subject, Guid SeasonId);

    /// <summary>The changes after a position: their subjects and seasons and the last seq, or <c>Pruned</c> when some are gone.</summary>
    private sealed record ChangeBatch(bool Pruned, List<SeasonKey> Keys, long LastSeq);

    /// <summary>
    /// Reads the keys of every change since the position first (up to MaxBatchesPerPass batches of distinct keys), then
    /// applies them batch by batch: a subject named by many changes in the interval (a voter's several votes) is read
    /// and written once. The position moves with the last batch; a pass cut short reads its changes again, harmlessly.
    /// </summary>
    private async Task RollUpAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        try
        {
            var position = await ReadPositionAsync(connection, shard, board, ct);
            var keys = new HashSet<SeasonKey>();
            var maxKeys = MaxBatchesPerPass * options.Value.RollupBatchSize;
            var last = position;
            for (var read = 0; last is not null && read < MaxChangeReadsPerPass && keys.Count < maxKeys; read++)
            {
                var changes = await ReadChangesAsync(shard, board, last.Value, ct);
                if (changes.Pruned)
                {
                    last = null;
                }
                else if (changes.Keys.Count == 0)
                {
                    break;
                }
                else
                {
                    keys.UnionWith(changes.Keys);
                    last = changes.LastSeq;
                }
            }

            if (last is null)
            {
                await ReadWholeTableAsync(connection, shard, board, ct);
                return;
            }

            var batches = keys.Chunk(options.Value.RollupBatchSize).ToList();
            for (var i = 0; i < batches.Count; i++)
            {
                var seasons = await ReadSeasonsAsync(shard, board, batches[i], ct);
                await ApplyAsync(connection, shard, board, seasons, i == batches.Count - 1 ? last : null, ct);
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            // The aggregator has not created (or migrated) the shard schema yet.
        }
    }

    private static async Task<long?> ReadPositionAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select change_seq from leaderboard_positions where shard = $1 and board = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = shard });
        command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
        return await command.ExecuteScalarAsync(ct) is long seq ? seq : null;
    }

    /// <summary>
    /// The changes after <paramref name="after"/> whose keys add up to at most RollupBatchSize (at least one change),
    /// read in one snapshot with the shard's prune floor: a floor past the position means changes were deleted unread.
    /// </summary>
    private async Task<ChangeBatch> ReadChangesAsync(string shard, LeaderboardBoard board, long after, CancellationToken ct)
    {
        await using var command = shards.Shard(shard).CreateCommand("""
            with next as (
                select seq, sum(key_count) over (order by seq) - key_count as keys_before
                from day_changes where day_table = $1 and seq > $2 order by seq limit 1000)
            select f.floor, c.seq, c.subjects, c.season_ids
            from (select coalesce(max(day_changes_floor), 0) as floor from shard_status) as f
            left join (next n join day_changes c on c.day_table = $1 and c.seq = n.seq and n.keys_before < $3) on true
            order by c.seq
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = board.ShardTable });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)options.Value.RollupBatchSize });
        var keys = new HashSet<SeasonKey>();
        var last = after;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (reader.Get<long>("floor") > after)
            {
                return new ChangeBatch(true, [], after);
            }

            if (reader.Get<long?>("seq") is not { } seq)
            {
                break;
            }

            last = seq;
            var subjects = reader.Get<string[]>("subjects");
            var seasons = reader.Get<Guid[]>("season_ids");
            for (var i = 0; i < subjects.Length; i++)
            {
                keys.Add(new SeasonKey(subjects[i], seasons[i]));
            }
        }

        return new ChangeBatch(false, [.. keys], last);
    }

    /// <summary>Each key's totals in its season from all its day rows; a key without a row, or with zero rows only, has none.</summary>
    private async Task<List<(SeasonKey Key, LeaderboardTotals? Totals)>> ReadSeasonsAsync(string shard, LeaderboardBoard board, SeasonKey[] keys,
        CancellationToken ct)
    {
        // Table and column names come from LeaderboardBoard constants, never from input. The lateral's offset keeps it a
        // range read of the table's primary key per key, not a join over the whole table.
        await using var command = shards.Shard(shard).CreateCommand($"""
            select k.i, t.utc_day, t.votes, t.weight
            from unnest($1::text[], $2::uuid[]) with ordinality as k(subject, season_id, i)
            cross join lateral (
                select t.utc_day, t.votes, t.weight from {board.ShardTable} t
                where t.{board.SubjectColumn} = {string.Format(CultureInfo.InvariantCulture, board.SubjectFromText, "k.subject")}
                  and t.season_id = k.season_id
                offset 0) t
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Subject).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.SeasonId).ToArray() });
        var builders = new LeaderboardTotals.Builder[keys.Length];
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                builders[(int)reader.Get<long>("i") - 1].Add(reader.Get<DateOnly>("utc_day"), reader.Get<long>("votes"), reader.Get<long>("weight"));
            }
        }

        return keys.Select((k, i) => (k, builders[i].Build())).ToList();
    }

    /// <summary>
    /// Applies every subject and season of the table in batches, then takes the position the shard's changes had before
    /// the read began: changes after it are read again later, which is harmless (season rows are computed, not added to).
    /// </summary>
    private async Task ReadWholeTableAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        long position;
        await using (var command = shards.Shard(shard).CreateCommand("""
            select greatest((select coalesce(max(seq), 0) from day_changes where day_table = $1),
                            (select coalesce(max(day_changes_floor), 0) from shard_status))
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = board.ShardTable });
            position = (long)(await command.ExecuteScalarAsync(ct))!;
        }

        logger.LogInformation("Leaderboard rollup reads {Table} of shard {Shard} whole (up to change {Position})", board.ShardTable, shard, position);
        // In primary key order, so each subject's rows in a season come together.
        await using var read = shards.Shard(shard).CreateCommand(
            $"select {board.SubjectExpression} as subject, season_id, utc_day, votes, weight from {board.ShardTable} order by {board.SubjectColumn}, season_id");
        await using var reader = await read.ExecuteReaderAsync(ct);
        var seasons = new List<(SeasonKey Key, LeaderboardTotals? Totals)>();
        SeasonKey? key = null;
        var builder = default(LeaderboardTotals.Builder);
        while (await reader.ReadAsync(ct))
        {
            var next = new SeasonKey(reader.Get<string>("subject"), reader.Get<Guid>("season_id"));
            if (next != key)
            {
                if (key is not null)
                {
                    seasons.Add((key, builder.Build()));
                    if (seasons.Count == options.Value.RollupBatchSize)
                    {
                        await ApplyAsync(connection, shard, board, seasons, position: null, ct);
                        seasons.Clear();
                    }
                }

                key = next;
                builder = default;
            }

            builder.Add(reader.Get<DateOnly>("utc_day"), reader.Get<long>("votes"), reader.Get<long>("weight"));
        }

        if (key is not null)
        {
            seasons.Add((key, builder.Build()));
        }

        await ApplyAsync(connection, shard, board, seasons, position, ct);
    }

    /// <param name="position">The shard change the rows bring the board up to; null to leave the position as it is.</param>
    private static async Task ApplyAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board,
        List<(SeasonKey Key, LeaderboardTotals? Totals)> seasons, long? position, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (seasons.Count > 0)
        {
            await ApplySeasonsAsync(connection, tx, board, seasons, ct);
        }

        if (position is not null)
        {
            await using var command = new NpgsqlCommand("""
                insert into leaderboard_positions (shard, board, change_seq) values ($1, $2, $3)
                on conflict (shard, board) do update set change_seq = excluded.change_seq
                """, connection, tx);
            command.Parameters.Add(new NpgsqlParameter { Value = shard });
            command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = position.Value });
            await command.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>A current version and its tuple id (as text: Npgsql writes no tid arrays).</summary>
    private sealed record CurrentRow(string Id, LeaderboardTotals Totals);

    /// <summary>
    /// Writes the new season rows and the all-seasons rows they change as one new generation: the current versions of
    /// the changed rows are retired (and listed for collection), the new ones inserted. A row whose all-time counts are
    /// zero (a subject whose counts left it, an erased account's) has no new version.
    /// </summary>
    private static async Task ApplySeasonsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LeaderboardBoard board,
        List<(SeasonKey Key, LeaderboardTotals? Totals)> seasons, CancellationToken ct)
    {
        var subjects = seasons.Select(s => s.Key.Subject).Distinct().ToList();
        var current = await ReadCurrentAsync(connection, tx, board,
            [.. seasons.Select(s => (s.Key.SeasonId, s.Key.Subject)), .. subjects.Select(s => (Guid.Empty, s))], ct);
        var retire = new List<string>();
        var insert = new List<(Guid SeasonKey, string Subject, LeaderboardTotals Totals)>();
        var changedBySubject = new Dictionary<string, List<(LeaderboardTotals? Old, LeaderboardTotals? New)>>(StringComparer.Ordinal);
        foreach (var (key, totals) in seasons)
        {
            var old = current.GetValueOrDefault((key.SeasonId, key.Subject));
            if (old?.Totals == totals)
            {
                continue;
            }

            Replace(key.SeasonId, key.Subject, old, totals);
            if (!changedBySubject.TryGetValue(key.Subject, out var changes))
            {
                changedBySubject[key.Subject] = changes = [];
            }

            changes.Add((old?.Totals, totals));
        }

        foreach (var (subject, changes) in changedBySubject)
        {
            var old = current.GetValueOrDefault((Guid.Empty, subject));
            Replace(Guid.Empty, subject, old, LeaderboardTotals.Merge(old?.Totals, changes));
        }

        if (retire.Count == 0 && insert.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("""
            with generation as (
                insert into leaderboard_generations (generation, created_at)
                values (nextval('leaderboard_generation_seq'), now())
                returning generation
            ),
            retired as (
                update leaderboard_totals t set valid_to = (select generation from generation)
                where t.ctid = any ($2::text[]::tid[]) and t.valid_to is null
                returning t.valid_to, t.board, t.season_key, t.subject, t.valid_from
            ),
            listed as (
                insert into leaderboard_retired (valid_to, board, season_key, subject, valid_from)
                select * from retired
            )
            insert into leaderboard_totals (board, season_key, subject, valid_from,
                day_start, day_votes, day_weight, week_start, week_votes, week_weight, all_votes, all_weight)
            select $1::leaderboard_board, n.season_key, n.subject, (select generation from generation),
                   n.day_start, n.day_votes, n.day_weight, n.week_start, n.week_votes, n.week_weight, n.all_votes, n.all_weight
            from unnest($3::uuid[], $4::text[], $5::date[], $6::bigint[], $7::bigint[], $8::date[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
                as n(season_key, subject, day_start, day_votes, day_weight, week_start, week_votes, week_weight, all_votes, all_weight)
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = retire.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.SeasonKey).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Subject).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.DayStart).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.DayVotes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.DayWeight).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.WeekStart).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.WeekVotes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.WeekWeight).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.AllVotes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Select(r => r.Totals.AllWeight).ToArray() });
        await command.ExecuteNonQueryAsync(ct);

        void Replace(Guid seasonKey, string subject, CurrentRow? old, LeaderboardTotals? totals)
        {
            if (old is not null)
            {
                retire.Add(old.Id);
            }

            if (totals is not null)
            {
                insert.Add((seasonKey, subject, totals));
            }
        }
    }

    /// <summary>
    /// The current version of each (season key, subject) row, with its tuple id for the retirement in the same transaction
    /// (only this pass writes the totals). The lateral reads the subject's versions through the subject's hash index
    /// alone (<see cref="SubjectVersions"/>).
    /// </summary>
    private static async Task<Dictionary<(Guid SeasonKey, string Subject), CurrentRow>> ReadCurrentAsync(NpgsqlConnection connection,
        NpgsqlTransaction tx, LeaderboardBoard board, List<(Guid SeasonKey, string Subject)> keys, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            select k.season_key, k.subject, c.ctid::text as ctid, c.day_start, c.day_votes, c.day_weight, c.week_start, c.week_votes, c.week_weight,
                   c.all_votes, c.all_weight
            from unnest($2::uuid[], $3::text[]) as k(season_key, subject)
            cross join lateral (
                select t.ctid, t.day_start, t.day_votes, t.day_weight, t.week_start, t.week_votes, t.week_weight, t.all_votes, t.all_weight
                from ({SubjectVersions("k.subject")}) t
                where t.board = $1::leaderboard_board and t.season_key = k.season_key and t.valid_to is null
                order by t.valid_from desc limit 1) c
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.SeasonKey).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Subject).ToArray() });
        var rows = new Dictionary<(Guid, string), CurrentRow>(keys.Count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows[(reader.Get<Guid>("season_key"), reader.Get<string>("subject"))] = new CurrentRow(reader.Get<string>("ctid"), new LeaderboardTotals(
                reader.Get<DateOnly>("day_start"), reader.Get<long>("day_votes"), reader.Get<long>("day_weight"),
                reader.Get<DateOnly>("week_start"), reader.Get<long>("week_votes"), reader.Get<long>("week_weight"),
                reader.Get<long>("all_votes"), reader.Get<long>("all_weight")));
        }

        return rows;
    }

    /// <summary>
    /// Every version of a subject, on every board and season, read through the hash index on the subject: the offset
    /// keeps the caller's conditions out of this scan, so a planner short of statistics (a new or emptied table) cannot
    /// take a rank index led by board and season instead and read a season's whole run for each subject.
    /// </summary>
    private static string SubjectVersions(string subject) => $"select ctid, * from leaderboard_totals where subject = {subject} offset 0";

    /// <summary>Deletes total rows and generations no valid cursor can reach any more.</summary>
    private async Task CollectRetiredAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            with horizon as (
                select coalesce(max(generation), 0) as generation from leaderboard_generations
                where created_at < now() - $1::interval
            ),
            gone as (
                delete from leaderboard_retired where valid_to <= (select generation from horizon)
                returning board, season_key, subject, valid_from
            ),
            totals as (
                delete from leaderboard_totals where ctid = any (array(
                    select x.ctid from gone g
                    cross join lateral (
                        select t.ctid from ({SubjectVersions("g.subject")}) t
                        where t.board = g.board and t.season_key = g.season_key and t.valid_from = g.valid_from
                        limit 1) x))
            )
            delete from leaderboard_generations where generation < (select generation from horizon)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.CursorLifetime });
        await command.ExecuteNonQueryAsync(ct);
    }
}
