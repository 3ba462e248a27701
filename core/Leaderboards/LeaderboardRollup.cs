using System.Globalization;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Core.Leaderboards;

/// <summary>
/// Rolls the shards' day rows (clip_days, voter_days, creator_days) into the catalog's leaderboard totals, so a
/// leaderboard page is one bounded index range scan however many shards and seasons it spans. Each shard table is
/// followed through the shard's day_changes: the keys of the rows each aggregator batch (or reset) changed, in commit
/// order. A rollup batch takes changes up to about RollupBatchSize keys, reads those rows' current values and applies
/// the change of every row (new minus its copy: the row's current day total for its season) to its day, ISO week and all-time totals, for
/// its season and for all seasons, as one new generation. A table is read whole once (in batches) when core has no
/// position on it or the aggregator has pruned changes core has not read. Runs under an advisory lock (one core at a time).
/// </summary>
internal sealed class LeaderboardRollup(CatalogDatabase catalog, ShardDatabases shards, IOptions<LeaderboardOptions> options,
    ILogger<LeaderboardRollup> logger) : ExclusivePeriodicService(catalog, logger)
{
    /// <summary>Bounds one pass so a large backlog cannot starve the other tables.</summary>
    private const int MaxBatchesPerPass = 20;

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

    private sealed record DayKey(string Subject, Guid SeasonId, DateOnly Day);

    private sealed record DayRow(string Subject, Guid SeasonId, DateOnly Day, long Votes, long Weight);

    /// <summary>The changes after a position: their keys and the last seq, or <c>Pruned</c> when some are gone.</summary>
    private sealed record ChangeBatch(bool Pruned, List<DayKey> Keys, long LastSeq);

    private async Task RollUpAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        try
        {
            var position = await ReadPositionAsync(connection, shard, board, ct);
            for (var batch = 0; batch < MaxBatchesPerPass; batch++)
            {
                var changes = position is null ? null : await ReadChangesAsync(shard, board, position.Value, ct);
                if (changes is null or { Pruned: true })
                {
                    await ReadWholeTableAsync(connection, shard, board, ct);
                    return;
                }

                if (changes.Keys.Count == 0)
                {
                    return;
                }

                var rows = await ReadRowsAsync(shard, board, changes.Keys, ct);
                await ApplyAsync(connection, shard, board, rows, changes.LastSeq, ct);
                position = changes.LastSeq;
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
            select f.floor, c.seq, c.subjects, c.season_ids, c.days
            from (select coalesce(max(day_changes_floor), 0) as floor from shard_status) as f
            left join (next n join day_changes c on c.day_table = $1 and c.seq = n.seq and n.keys_before < $3) on true
            order by c.seq
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = board.ShardTable });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)options.Value.RollupBatchSize });
        var keys = new HashSet<DayKey>();
        var last = after;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (reader.GetInt64(0) > after)
            {
                return new ChangeBatch(true, [], after);
            }

            if (reader.IsDBNull(1))
            {
                break;
            }

            last = reader.GetInt64(1);
            var subjects = reader.GetFieldValue<string[]>(2);
            var seasons = reader.GetFieldValue<Guid[]>(3);
            var days = reader.GetFieldValue<DateOnly[]>(4);
            for (var i = 0; i < subjects.Length; i++)
            {
                keys.Add(new DayKey(subjects[i], seasons[i], days[i]));
            }
        }

        return new ChangeBatch(false, [.. keys], last);
    }

    /// <summary>The current rows of <paramref name="keys"/>; a key without a row reads as zero.</summary>
    private async Task<List<DayRow>> ReadRowsAsync(string shard, LeaderboardBoard board, List<DayKey> keys, CancellationToken ct)
    {
        // Table and column names come from LeaderboardBoard constants, never from input.
        await using var command = shards.Shard(shard).CreateCommand($"""
            select k.subject, k.season_id, k.utc_day, coalesce(t.votes, 0), coalesce(t.weight, 0)
            from unnest($1::text[], $2::uuid[], $3::date[]) as k(subject, season_id, utc_day)
            left join {board.ShardTable} t on t.{board.SubjectColumn} = {string.Format(CultureInfo.InvariantCulture, board.SubjectFromText, "k.subject")}
                and t.season_id = k.season_id and t.utc_day = k.utc_day
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Subject).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.SeasonId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Select(k => k.Day).ToArray() });
        var rows = new List<DayRow>(keys.Count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(ReadRow(reader));
        }

        return rows;
    }

    /// <summary>
    /// Applies every row of the table in batches, then takes the position the shard's changes had before the read began:
    /// changes after it are read again later, which the copies make harmless.
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
        await using var read = shards.Shard(shard).CreateCommand(
            $"select {board.SubjectExpression}, season_id, utc_day, votes, weight from {board.ShardTable}");
        await using var reader = await read.ExecuteReaderAsync(ct);
        var rows = new List<DayRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(ReadRow(reader));
            if (rows.Count == options.Value.RollupBatchSize)
            {
                await ApplyAsync(connection, shard, board, rows, position: null, ct);
                rows.Clear();
            }
        }

        await ApplyAsync(connection, shard, board, rows, position, ct);
    }

    private static DayRow ReadRow(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetGuid(1), reader.GetFieldValue<DateOnly>(2), reader.GetInt64(3), reader.GetInt64(4));

    /// <param name="position">The shard change the rows bring the board up to; null to leave the position as it is.</param>
    private static async Task ApplyAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, List<DayRow> rows,
        long? position, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (rows.Count > 0)
        {
            await ApplyRowsAsync(connection, tx, board, rows, ct);
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

    /// <summary>
    /// Applies the change of each row (new minus its copy: its current day total for its season, which no other row adds
    /// to) to the totals, as one new generation. Every lookup is a lateral one on the totals' primary key (its limit keeps
    /// the planner from turning it into a join that reads the whole table, its order from the rank index, whose range
    /// holds every subject of the period) and the retirements go by tuple id, so the work follows the batch, never the
    /// size of the totals.
    /// </summary>
    private static async Task ApplyRowsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LeaderboardBoard board, List<DayRow> rows,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            with generation as (
                insert into leaderboard_generations (generation, created_at)
                values (nextval('leaderboard_generation_seq'), now())
                returning generation
            ),
            incoming as (
                select * from unnest($2::text[], $3::uuid[], $4::date[], $5::bigint[], $6::bigint[]) as t(subject, season_id, utc_day, votes, weight)
            ),
            -- A row that is gone or zero has no total (missing counts as zero), so a subject whose counts left it (an
            -- erased account's) leaves no row behind once its retired totals expire.
            deltas as (
                select i.subject, x.period, x.period_start, k.season_key,
                       sum(i.votes - coalesce(c.votes, 0))::bigint as dv, sum(i.weight - coalesce(c.weight, 0))::bigint as dw
                from incoming i
                left join lateral (
                    select t.votes, t.weight from leaderboard_totals t
                    where t.board = $1 and t.period = 'day' and t.period_start = i.utc_day and t.season_key = i.season_id
                      and t.subject = i.subject and t.valid_to is null order by t.valid_from desc limit 1) c on true
                cross join lateral (values
                    ('day', i.utc_day),
                    ('week', (i.utc_day - ((extract(isodow from i.utc_day)::int - 1)))::date),
                    ('all', date '2000-01-01')) x(period, period_start)
                cross join lateral (values (i.season_id), ('00000000-0000-0000-0000-000000000000'::uuid)) k(season_key)
                where i.votes <> coalesce(c.votes, 0) or i.weight <> coalesce(c.weight, 0)
                group by i.subject, x.period, x.period_start, k.season_key
            ),
            changed as (
                select d.subject, d.period, d.period_start, d.season_key, c.ctid as old,
                       coalesce(c.votes, 0) + d.dv as votes, coalesce(c.weight, 0) + d.dw as weight
                from deltas d
                left join lateral (
                    select t.ctid, t.votes, t.weight from leaderboard_totals t
                    where t.board = $1 and t.period = d.period and t.period_start = d.period_start and t.season_key = d.season_key
                      and t.subject = d.subject and t.valid_to is null order by t.valid_from desc limit 1) c on true
                where d.dv <> 0 or d.dw <> 0
            ),
            retired as (
                update leaderboard_totals t set valid_to = (select generation from generation)
                where t.ctid = any (array(select old from changed where old is not null))
                returning t.valid_to, t.board, t.period, t.period_start, t.season_key, t.subject, t.valid_from
            ),
            listed as (
                insert into leaderboard_retired (valid_to, board, period, period_start, season_key, subject, valid_from)
                select * from retired
            )
            insert into leaderboard_totals (board, period, period_start, season_key, subject, votes, weight, valid_from)
            select $1, period, period_start, season_key, subject, votes, weight, (select generation from generation)
            from changed
            where votes <> 0 or weight <> 0
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Subject).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.SeasonId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Day).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Votes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Weight).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Deletes total rows and generations no valid cursor can reach any more.</summary>
    private async Task CollectRetiredAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            with horizon as (
                select coalesce(max(generation), 0) as generation from leaderboard_generations
                where created_at < now() - $1::interval
            ),
            gone as (
                delete from leaderboard_retired where valid_to <= (select generation from horizon)
                returning board, period, period_start, season_key, subject, valid_from
            ),
            totals as (
                delete from leaderboard_totals where ctid = any (array(
                    select x.ctid from gone g
                    cross join lateral (
                        select t.ctid from leaderboard_totals t
                        where t.board = g.board and t.period = g.period and t.period_start = g.period_start
                          and t.season_key = g.season_key and t.subject = g.subject and t.valid_from = g.valid_from limit 1) x))
            )
            delete from leaderboard_generations where generation < (select generation from horizon)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.CursorLifetime });
        await command.ExecuteNonQueryAsync(ct);
    }
}
