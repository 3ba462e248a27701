using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>The shard schema of aggregator/README.md, created at start; core reads it, only the aggregator writes it.</summary>
internal static class ShardSchema
{
    /// <summary>
    /// Taken by every transaction that writes votes' status or counts, before it does: two aggregators (a stale one still
    /// running beside its replacement) take turns instead of racing, and a batch that finds the shard's write count
    /// moved since it read the shard reads it again under this lock (<see cref="ShardBatchApplier"/>).
    /// </summary>
    public const string WriterLockSql = "select pg_advisory_xact_lock(7340033)";

    /// <summary>The shard's write count (<c>$1</c>: the shard), 0 before its first write.</summary>
    public const string ReadWritesSql = "select coalesce((select writes from shard_status where shard = $1), 0) as writes";

    // Every batch and reset counts its write here, under the writer lock: the fence of a batch that read the shard
    // before it took the lock (ShardFence).
    private const string CountWriteSql = """
        insert into shard_status as x (shard, votes_applied, writes) values ($1, 0, 1)
        on conflict (shard) do update set writes = x.writes + 1
        returning x.writes
        """;

    /// <summary>Takes the writer lock in the transaction and counts a write of <paramref name="shard"/>; returns the shard's write count after it.</summary>
    public static async Task<long> LockAndCountWriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string shard,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(WriterLockSql),
                new NpgsqlBatchCommand(CountWriteSql) { Parameters = { new() { Value = shard } } },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.Get<long>("writes");
    }

    /// <summary>PostgreSQL's name for the primary key of <c>votes</c> (vote_id), which a vote stored twice breaks.</summary>
    public const string VotesKey = "votes_pkey";

    private const string CreateV1 = """
        create table if not exists votes (
            vote_id uuid primary key, season_id uuid not null, slot_position int not null, clip_id uuid not null,
            creator_id uuid not null, voter_key text not null, vote_type text not null, weight int not null,
            region text not null, flags int not null, multi_vote bool not null, accepted_at timestamptz not null,
            utc_day date not null, status text not null, reason text null, applied_at timestamptz not null);
        -- the rules read a batch's voters' counted votes in the batch's slots; reset and core read a slot's votes
        create index if not exists votes_counted_by_voter_slot on votes (voter_key, season_id, slot_position) where status = 'counted';
        create index if not exists votes_by_slot on votes (season_id, slot_position);
        create table if not exists tallies (
            season_id uuid not null, slot_position int not null, clip_id uuid not null, votes bigint not null,
            weighted_score bigint not null, updated_at timestamptz not null,
            primary key (season_id, slot_position, clip_id));
        create table if not exists clip_views (
            season_id uuid not null, clip_id uuid not null, views bigint not null, primary key (season_id, clip_id));
        create table if not exists voter_days (
            voter_key text not null, season_id uuid not null, utc_day date not null, votes bigint not null,
            weight bigint not null, updated_at timestamptz not null, primary key (voter_key, season_id, utc_day));
        create table if not exists creator_days (
            creator_id uuid not null, season_id uuid not null, utc_day date not null, votes bigint not null,
            weight bigint not null, updated_at timestamptz not null, primary key (creator_id, season_id, utc_day));
        create table if not exists clip_days (
            clip_id uuid not null, season_id uuid not null, utc_day date not null, votes bigint not null,
            weight bigint not null, updated_at timestamptz not null, primary key (clip_id, season_id, utc_day));
        -- core rolls the day rows up into its leaderboards by keyset on (updated_at, subject, season_id, utc_day);
        -- updated_at grows in commit order per shard because its batches are serialized by one writer
        create index if not exists voter_days_by_update on voter_days (updated_at, voter_key, season_id, utc_day);
        create index if not exists creator_days_by_update on creator_days (updated_at, (creator_id::text), season_id, utc_day);
        create index if not exists clip_days_by_update on clip_days (updated_at, (clip_id::text), season_id, utc_day);
        create table if not exists shard_status (
            shard text primary key, last_applied_at timestamptz, votes_applied bigint not null);
        -- a revoke that arrived before its vote
        create table if not exists vote_tombstones (
            vote_id uuid primary key, season_id uuid not null, slot_position int not null, revoked_at timestamptz not null);
        -- views batches already added, so a redelivered batch adds nothing
        create table if not exists view_batches (
            batch_id uuid primary key, season_id uuid not null, applied_at timestamptz not null);
        """;

    // Voter keys are opaque tokens: byte order sorts them as well as any language's and compares as memcmp, where the
    // database's default collation (even C.UTF-8) calls strcoll on every index comparison; measured with perf in the
    // ingest benchmark, that collation work (strcoll, strcmp, locale lookups) was about 5 % of the shard's CPU and is
    // gone with "C". Changing only the collation keeps the rows in place and rebuilds the indexes on voter_key.
    private const string CollateVoterKeysV2 = """
        alter table votes alter column voter_key type text collate "C";
        alter table voter_days alter column voter_key type text collate "C";
        """;

    // Core followed the day tables by keyset on an index of (updated_at, subject, season, day) per table. Those indexes
    // cost an index entry per changed day row, and made every update of a row a non-HOT one: with a voter's day row
    // changing on every vote, that was about a quarter of the shard's CPU per vote in the ingest benchmark. Instead each
    // batch (and reset) records the keys of the rows it changed, one row per day table, in day_changes, whose seq grows in
    // commit order (the writer lock serializes the shard's writers); core reads the current values of those keys.
    // Changes older than the aggregator's retention are deleted and day_changes_floor says up to which seq: a reader
    // behind the floor reads the whole table once instead.
    private const string DayChangesV3 = """
        drop index if exists voter_days_by_update;
        drop index if exists creator_days_by_update;
        drop index if exists clip_days_by_update;
        create table if not exists day_changes (
            day_table text not null, seq bigint generated always as identity, changed_at timestamptz not null,
            key_count int not null, subjects text[] not null, season_ids uuid[] not null, days date[] not null,
            primary key (day_table, seq));
        alter table shard_status add column if not exists day_changes_floor bigint not null default 0;
        """;

    // Only a slot's reset looks votes up by slot, rarely, while every vote paid about 1 µs of the shard's serial COPY for
    // a btree entry in a key with a handful of values. A slot's votes arrive together, so a block-range index finds them
    // nearly as well and costs nothing per insert (measured: 500,000 rows, 2.47 s with it, 2.47 s without, 3.06 s with
    // the btree); ranges filled since the last summary are read whole.
    private const string SlotRangesV4 = """
        drop index if exists votes_by_slot;
        create index if not exists votes_by_slot_range on votes using brin (season_id, slot_position) with (autosummarize = on);
        """;

    // A batch reads the shard before it takes the writer lock, so its writer's next batch can read while it writes; the
    // count of the shard's writes (batches and resets), read with the state and counted under the lock, tells whether
    // another writer wrote in between. The per-clip count rows take a change from nearly every batch: half-empty pages
    // leave room for their new versions on the same page (HOT updates, no new index entry, pruned in place), where full
    // pages sent every new version to another page with a new index entry (measured: 200 upserts of the same 1,000 rows
    // left 25 heap pages instead of 304, at 2.7 instead of 3.4 ms per upsert).
    private const string WriteCountV5 = """
        alter table shard_status add column if not exists writes bigint not null default 0;
        alter table tallies set (fillfactor = 50);
        alter table creator_days set (fillfactor = 50);
        alter table clip_days set (fillfactor = 50);
        """;

    // A slot's reset removes votes whose voters the edges still hold in Redis (the vote per clip, super/mega, the day's
    // weight). The reset's transaction writes what each region must give back here, and the aggregator deletes a
    // region's rows once that region's stream stored them, so the undo survives a region or the aggregator being down.
    private const string ResetUndosV6 = """
        create table if not exists reset_undos (
            region text not null, vote_id uuid not null, season_id uuid not null, slot_position int not null,
            clip_id uuid not null, voter_key text collate "C" not null, vote_type text not null, weight int not null,
            utc_day date not null, primary key (region, vote_id));
        """;

    // The genre vote between seasons, on the genre shard only (ShardMap.GenreShard): a row per voter, kept when withdrawn
    // (genre null) so a late older change cannot bring the vote back, and the counts per genre the same transaction keeps.
    private const string GenreVotesV7 = """
        create table if not exists genre_votes (
            voter_key text collate "C" primary key, genre text null, sequence bigint not null, change_id uuid not null,
            region text not null, changed_at timestamptz not null, applied_at timestamptz not null);
        create table if not exists genre_counts (genre text primary key, votes bigint not null);
        """;

    // Core lists a signed-in user's votes newest first (GET /v1/me/votes, export) and finds them to erase an account: one
    // index range per shard instead of a scan. Only signed-in voters' votes are indexed (core's queries repeat the
    // predicate), so anonymous votes pay nothing for it at insert.
    private const string UserVotesV8 = """
        create index if not exists votes_by_user on votes (voter_key, accepted_at, vote_id) where starts_with(voter_key, 'user_');
        """;

    // Core lists flagged votes newest first for review (GET /v1/admin/votes/flagged): a partial index holds only
    // flagged votes, so unflagged ones, nearly all, cost nothing more to insert.
    private const string FlaggedV9 = """
        create index if not exists votes_flagged on votes (accepted_at desc, vote_id desc) where flags <> 0;
        """;

    // A vote a review discounted leaves the voter's counted weight (the tallies, the leaderboards, what the voter sees
    // counted) but stays against the voter's daily allowance, as the edges' day totals keep it: the daily ledger loads
    // weight + held_weight, so a reload agrees with the ledger that saw the review. A slot's reset gives both back.
    // Adding a column with a constant default writes no row.
    private const string HeldWeightV10 = """
        alter table voter_days add column if not exists held_weight bigint not null default 0;
        """;

    private static readonly (int Version, string Sql)[] Migrations =
        [(1, CreateV1), (2, CollateVoterKeysV2), (3, DayChangesV3), (4, SlotRangesV4), (5, WriteCountV5), (6, ResetUndosV6), (7, GenreVotesV7), (8, UserVotesV8), (9, FlaggedV9), (10, HeldWeightV10)];

    /// <summary>Deletes the day changes older than <c>$1</c> (now less the retention) and raises the floor of shard <c>$2</c> past them.</summary>
    public const string PruneDayChangesSql = """
        with gone as (delete from day_changes where changed_at < $1 returning seq)
        update shard_status set day_changes_floor = greatest(day_changes_floor, (select max(seq) from gone))
        where shard = $2 and exists (select from gone)
        """;

    public static async Task EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("""
            select pg_advisory_xact_lock(7340032);
            create table if not exists schema_migrations (version int primary key, applied_at timestamptz not null default now());
            """, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int applied;
        await using (var command = new NpgsqlCommand("select coalesce(max(version), 0) from schema_migrations", connection, transaction))
        {
            applied = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        foreach (var (version, sql) in Migrations.Where(m => m.Version > applied))
        {
            await using var command = new NpgsqlCommand(sql + $"insert into schema_migrations (version) values ({version});", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
