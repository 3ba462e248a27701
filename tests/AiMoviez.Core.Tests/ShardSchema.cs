using Npgsql;

namespace AiMoviez.Core.Tests;

/// <summary>The shard tables core reads, with the DDL of docs/DESIGN.md (the aggregator owns them in production).</summary>
public static class ShardSchema
{
    public const string Ddl = """
        create table if not exists votes(vote_id uuid primary key, season_id uuid, slot_position int, clip_id uuid, creator_id uuid, voter_key text,
              vote_type text, weight int, region text, flags int, multi_vote bool, accepted_at timestamptz, utc_day date,
              status text, reason text null, applied_at timestamptz);
        create table if not exists tallies(season_id uuid, slot_position int, clip_id uuid, votes bigint, weighted_score bigint, updated_at timestamptz,
                primary key (season_id, slot_position, clip_id));
        create table if not exists clip_views(season_id uuid, clip_id uuid, views bigint, primary key (season_id, clip_id));
        create table if not exists voter_days(voter_key text, season_id uuid, utc_day date, votes bigint, weight bigint, updated_at timestamptz,
                   primary key (voter_key, season_id, utc_day));
        create table if not exists creator_days(creator_id uuid, season_id uuid, utc_day date, votes bigint, weight bigint, updated_at timestamptz,
                     primary key (creator_id, season_id, utc_day));
        create table if not exists clip_days(clip_id uuid, season_id uuid, utc_day date, votes bigint, weight bigint, updated_at timestamptz,
                  primary key (clip_id, season_id, utc_day));
        create table if not exists shard_status(shard text primary key, last_applied_at timestamptz, votes_applied bigint,
                     day_changes_floor bigint not null default 0, writes bigint not null default 0);
        create table if not exists day_changes(day_table text not null, seq bigint generated always as identity, changed_at timestamptz not null,
                    key_count int not null, subjects text[] not null, season_ids uuid[] not null, days date[] not null,
                    primary key (day_table, seq));
        create table if not exists reset_undos(region text not null, vote_id uuid not null, season_id uuid not null, slot_position int not null,
                    clip_id uuid not null, voter_key text not null, vote_type text not null, weight int not null, utc_day date not null,
                    primary key (region, vote_id));
        create index if not exists votes_by_user on votes (voter_key, accepted_at, vote_id) where starts_with(voter_key, 'user_');
        """;

    public static async Task CreateAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Ddl, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
