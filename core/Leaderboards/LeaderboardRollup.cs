using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Core.Leaderboards;

/// <summary>
/// Rolls the shards' day rows (clip_days, voter_days, creator_days) into the catalog's leaderboard totals, so a
/// leaderboard page is one bounded index range scan however many shards and seasons it spans. Each shard table is
/// read incrementally by keyset on (updated_at, subject, season, day) in bounded batches; each batch applies the
/// change of every day row (new minus the copy kept in leaderboard_days) to its day, ISO week and all-time totals, for
/// its season and for all seasons, as one new generation. Runs under an advisory lock (one core at a time).
/// </summary>
public sealed class LeaderboardRollup(CatalogDatabase catalog, ShardDatabases shards, IOptions<LeaderboardOptions> options,
    ILogger<LeaderboardRollup> logger) : ExclusivePeriodicService(catalog, logger)
{
    /// <summary>Re-read this much of each table after catching up, in case a shard transaction committed late; deltas make it harmless.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(10);

    /// <summary>Bounds one pass so a large backlog cannot starve the other tables.</summary>
    private const int MaxBatchesPerPass = 20;

    protected override long LockKey => 0x41694d6f7669_03;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.RollupIntervalSeconds);

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

    private sealed record Watermark(DateTime UpdatedAt, string Subject, Guid SeasonId, DateOnly Day);

    private sealed record DayRow(string Subject, Guid SeasonId, DateOnly Day, long Votes, long Weight, DateTime UpdatedAt);

    private async Task RollUpAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        for (var batch = 0; batch < MaxBatchesPerPass; batch++)
        {
            var watermark = await ReadWatermarkAsync(connection, shard, board, ct);
            List<DayRow> rows;
            try
            {
                rows = await ReadShardRowsAsync(shard, board, watermark, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                return; // The aggregator has not created the shard schema yet.
            }

            if (rows.Count == 0)
            {
                return;
            }

            var caughtUp = rows.Count < options.Value.RollupBatchSize;
            var last = rows[^1];
            var next = caughtUp
                ? new Watermark(rows.Max(r => r.UpdatedAt) - Overlap, "", Guid.Empty, DateOnly.MinValue)
                : new Watermark(last.UpdatedAt, last.Subject, last.SeasonId, last.Day);
            // Never move backwards past where we were: the overlap only re-reads what came after the old watermark's time.
            if (caughtUp && watermark is not null && next.UpdatedAt < watermark.UpdatedAt)
            {
                next = watermark with { };
            }

            await ApplyAsync(connection, shard, board, rows, next, ct);
            if (caughtUp)
            {
                return;
            }
        }
    }

    private static async Task<Watermark?> ReadWatermarkAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select updated_at, subject, season_id, utc_day from leaderboard_watermarks where shard = $1 and board = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = shard });
        command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new Watermark(reader.GetDateTime(0), reader.GetString(1), reader.GetGuid(2), reader.GetFieldValue<DateOnly>(3))
            : null;
    }

    private async Task<List<DayRow>> ReadShardRowsAsync(string shard, LeaderboardBoard board, Watermark? after, CancellationToken ct)
    {
        // Table and column names come from LeaderboardBoard constants, never from input.
        await using var command = shards.Shard(shard).CreateCommand($"""
            select {board.SubjectExpression} as subject, season_id, utc_day, votes, weight, updated_at
            from {board.ShardTable}
            where (updated_at, {board.SubjectExpression}, season_id, utc_day) > ($1, $2, $3, $4)
            order by updated_at, {board.SubjectExpression}, season_id, utc_day
            limit $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = after?.UpdatedAt ?? DateTime.UnixEpoch, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.Subject ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.SeasonId ?? Guid.Empty });
        command.Parameters.Add(new NpgsqlParameter { Value = after?.Day ?? DateOnly.MinValue });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.RollupBatchSize });
        var rows = new List<DayRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new DayRow(reader.GetString(0), reader.GetGuid(1), reader.GetFieldValue<DateOnly>(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetDateTime(5)));
        }

        return rows;
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, string shard, LeaderboardBoard board, List<DayRow> rows,
        Watermark next, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand("""
            with generation as (
                insert into leaderboard_generations (generation, created_at)
                select max(generation) + 1, now() from leaderboard_generations
                returning generation
            ),
            incoming as (
                select * from unnest($2::text[], $3::uuid[], $4::date[], $5::bigint[], $6::bigint[]) as t(subject, season_id, utc_day, votes, weight)
            ),
            previous as (
                select i.subject, i.season_id, i.utc_day,
                       i.votes - coalesce(d.votes, 0) as dv, i.weight - coalesce(d.weight, 0) as dw
                from incoming i
                left join leaderboard_days d on d.board = $1 and d.subject = i.subject and d.season_id = i.season_id and d.utc_day = i.utc_day
            ),
            copied as (
                insert into leaderboard_days (board, subject, season_id, utc_day, votes, weight)
                select $1, subject, season_id, utc_day, votes, weight from incoming
                on conflict (board, subject, season_id, utc_day) do update set votes = excluded.votes, weight = excluded.weight
            ),
            deltas as (
                select p.subject, x.period, x.period_start, k.season_key, sum(p.dv) as dv, sum(p.dw) as dw
                from previous p
                cross join lateral (values
                    ('day', p.utc_day),
                    ('week', (p.utc_day - ((extract(isodow from p.utc_day)::int - 1)))::date),
                    ('all', date '2000-01-01')) x(period, period_start)
                cross join lateral (values (p.season_id), ('00000000-0000-0000-0000-000000000000'::uuid)) k(season_key)
                where p.dv <> 0 or p.dw <> 0
                group by p.subject, x.period, x.period_start, k.season_key
            ),
            retired as (
                update leaderboard_totals t set valid_to = (select generation from generation)
                from deltas d
                where t.board = $1 and t.period = d.period and t.period_start = d.period_start and t.season_key = d.season_key
                  and t.subject = d.subject and t.valid_to is null
                returning t.period, t.period_start, t.season_key, t.subject, t.votes, t.weight
            )
            insert into leaderboard_totals (board, period, period_start, season_key, subject, votes, weight, valid_from)
            select $1, d.period, d.period_start, d.season_key, d.subject,
                   coalesce(r.votes, 0) + d.dv, coalesce(r.weight, 0) + d.dw, (select generation from generation)
            from deltas d
            left join retired r on r.period = d.period and r.period_start = d.period_start and r.season_key = d.season_key and r.subject = d.subject
            """, connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Subject).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.SeasonId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Day).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Votes).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Weight).ToArray() });
            await command.ExecuteNonQueryAsync(ct);
        }

        await using (var command = new NpgsqlCommand("""
            insert into leaderboard_watermarks (shard, board, updated_at, subject, season_id, utc_day) values ($1, $2, $3, $4, $5, $6)
            on conflict (shard, board) do update set updated_at = excluded.updated_at, subject = excluded.subject,
                season_id = excluded.season_id, utc_day = excluded.utc_day
            """, connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = shard });
            command.Parameters.Add(new NpgsqlParameter { Value = board.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = next.UpdatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = next.Subject });
            command.Parameters.Add(new NpgsqlParameter { Value = next.SeasonId });
            command.Parameters.Add(new NpgsqlParameter { Value = next.Day });
            await command.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Deletes total rows and generations no valid cursor can reach any more.</summary>
    private async Task CollectRetiredAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            with horizon as (
                select coalesce(max(generation), 0) as generation from leaderboard_generations
                where created_at < now() - make_interval(mins => $1)
            ),
            gone as (
                delete from leaderboard_totals where valid_to is not null and valid_to <= (select generation from horizon)
            )
            delete from leaderboard_generations where generation < (select generation from horizon)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.CursorLifetimeMinutes });
        await command.ExecuteNonQueryAsync(ct);
    }
}
