using System.Data.Common;
using AiMoviez.Core.Data;

namespace AiMoviez.Core.Bans;

/// <summary>The bans table: who is banned, as user id (<c>user</c>) or voter key (<c>voter</c>).</summary>
internal static class BanStore
{
    public const string UserKind = "user";
    public const string VoterKind = "voter";

    /// <summary>Where a listing page ends: the last row's sort key, newest ban first.</summary>
    public sealed record Position(DateTime BannedAt, string Kind, string Subject);

    /// <summary>Later than any ban: the first page starts here.</summary>
    private static readonly DateTime Beyond = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Bans this subject, keeping the time of a ban already in place; returns when it was banned.</summary>
    public static async Task<DateTime> BanAsync(CatalogTransaction tx, string kind, string subject, CancellationToken ct)
    {
        await using var command = tx.Command("""
            insert into bans (kind, subject, banned_at) values ($1, $2, now())
            on conflict (kind, subject) do update set kind = excluded.kind returning banned_at
            """, kind, subject);
        return (DateTime)(await command.ExecuteScalarAsync(ct))!;
    }

    public static Task<int> UnbanAsync(CatalogTransaction tx, string kind, string subject, CancellationToken ct) =>
        tx.ExecuteAsync("delete from bans where kind = $1 and subject = $2", ct, kind, subject);

    /// <summary>
    /// A signed-in user is banned by their user id, or by their voter key (<c>user_&lt;sub&gt;</c>, as the edges key their
    /// votes), so a ban set either way stops their votes and their clip submissions alike.
    /// </summary>
    public static async Task<bool> IsUserBannedAsync(CatalogTransaction tx, string userId, CancellationToken ct)
    {
        await using var command = tx.Command("""
            select exists (select 1 from bans where (kind = 'user' and subject = $1) or (kind = 'voter' and subject = $2))
            """, userId, "user_" + userId);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>A page of bans after <paramref name="after"/>, newest first; one row more than asked tells if more follow.</summary>
    public static async Task<List<Ban>> ListAsync(CatalogTransaction tx, Position? after, int take, CancellationToken ct)
    {
        await using var command = tx.Command("""
            select kind, subject, banned_at from bans
            where (banned_at, kind, subject) < ($1, $2, $3)
            order by banned_at desc, kind desc, subject desc limit $4
            """, after?.BannedAt ?? Beyond, after?.Kind ?? "", after?.Subject ?? "", take);
        var bans = new List<Ban>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            bans.Add(ReadBan(reader));
        }

        return bans;
    }

    /// <summary>A row of <c>bans</c> (kind, subject, banned_at).</summary>
    public static Ban ReadBan(DbDataReader reader) =>
        new(reader.Get<string>("kind"), reader.Get<string>("subject"), Banned: true, reader.Get<DateTime>("banned_at"));
}
