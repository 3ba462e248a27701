using System.Security.Cryptography;
using System.Text;
using AiMoviez.Perf.Load;
using Npgsql;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// The shard's <c>votes</c> table as aggregator/README.md defines it, re-created (in the catalog database, never in a shard)
/// for the baseline and COPY measurements, so both write rows of the real width with the real primary key.
/// </summary>
public static class VotesTable
{
    public const string Columns =
        "vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags, multi_vote, accepted_at, utc_day, status, reason, applied_at";

    public static string CreateSql(string qualifiedName, bool temporary) => $"""
        create {(temporary ? "temp " : "")}table {qualifiedName} (
            vote_id uuid primary key, season_id uuid not null, slot_position int not null, clip_id uuid not null,
            creator_id uuid not null, voter_key text not null, vote_type text not null, weight int not null,
            region text not null, flags int not null, multi_vote bool not null, accepted_at timestamptz not null,
            utc_day date not null, status text not null, reason text null, applied_at timestamptz not null)
        """;

    /// <summary>The edge's anonymous voter key for a simulated voter: device_ + 32 hex of SHA-256 of its fingerprint.</summary>
    public static string VoterKey(Voter voter) =>
        "device_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{voter.ForwardedFor}|{voter.UserAgent}")))[..32];

    /// <summary>PostgreSQL durability settings, which decide how fast a commit is; reported next to every DB number.</summary>
    public static async Task<string> DurabilitySettingsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select string_agg(name || '=' || setting, ', ' order by name) from pg_settings where name in ('fsync','synchronous_commit','full_page_writes','max_connections','shared_buffers')");
        return (string?)await command.ExecuteScalarAsync(cancellationToken) ?? "";
    }
}
