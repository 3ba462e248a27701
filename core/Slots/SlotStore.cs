using AiMoviez.Contracts;
using AiMoviez.Core.Data;

namespace AiMoviez.Core.Slots;

/// <summary>Whether a season and its slot exist.</summary>
internal enum SlotPresence { Present, NoSeason, NoSlot }

/// <summary>What stops an unlock, if anything.</summary>
internal enum UnlockRefusal { None, NotLocked, NotLatest }

/// <summary>The catalog's reads and changes of slots for the admin calls (the lock itself is <see cref="SlotTransitions"/>).</summary>
internal static class SlotStore
{
    public static async Task<SlotPresence> FindAsync(CatalogTransaction tx, Guid seasonId, int position, CancellationToken ct)
    {
        await using var command = tx.Command("""
            select (select 1 from seasons where id = $1) as season, (select 1 from slots where season_id = $1 and position = $2) as slot
            """, seasonId, position);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.Get<int?>("season") is null ? SlotPresence.NoSeason
            : reader.Get<int?>("slot") is null ? SlotPresence.NoSlot
            : SlotPresence.Present;
    }

    /// <summary>One of the slots that is locked (its votes final), or null when none is.</summary>
    public static async Task<(Guid SeasonId, int Position)?> AnyLockedAsync(CatalogTransaction tx, IReadOnlyCollection<(Guid SeasonId, int Position)> slots,
        CancellationToken ct)
    {
        await using var command = tx.Command("""
            select s.season_id, s.position from slots s
            join unnest($1::uuid[], $2::int[]) as k(season_id, position) on s.season_id = k.season_id and s.position = k.position
            where s.status = 'locked'
            limit 1
            """, slots.Select(s => s.SeasonId).ToArray(), slots.Select(s => s.Position).ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.Get<Guid>("season_id"), reader.Get<int>("position")) : null;
    }

    public static async Task<int> SeasonNumberAsync(CatalogTransaction tx, Guid seasonId, CancellationToken ct)
    {
        await using var command = tx.Command("select number from seasons where id = $1", seasonId);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The number of the season the clip belongs to, when it belongs to <paramref name="seasonId"/>; else null.</summary>
    public static async Task<int?> ClipSeasonNumberAsync(CatalogTransaction tx, Guid clipId, Guid seasonId, CancellationToken ct)
    {
        await using var command = tx.Command(
            "select se.number from clips c join seasons se on se.id = c.season_id where c.id = $1 and c.season_id = $2", clipId, seasonId);
        return await command.ExecuteScalarAsync(ct) as int?;
    }

    /// <summary>Ends a voting slot's voting now (edges refuse votes from here on); the slot as due to close, or null when it is not voting.</summary>
    public static async Task<DueSlot?> EndVotingNowAsync(CatalogTransaction tx, Guid seasonId, int position, CancellationToken ct)
    {
        await using var command = tx.Command("""
            update slots sl set voting_ends_at = least(sl.voting_ends_at, now())
            from seasons se where se.id = sl.season_id and sl.season_id = $1 and sl.position = $2 and sl.status = 'voting'
            returning se.number, sl.voting_ends_at
            """, seasonId, position);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new DueSlot(seasonId, reader.Get<int>("number"), position, reader.Get<DateTime>("voting_ends_at"))
            : null;
    }

    public static async Task<bool> IsVotingAsync(CatalogDatabase catalog, Guid seasonId, int position, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command("select status from slots where season_id = $1 and position = $2", seasonId, position);
        return (string?)await command.ExecuteScalarAsync(ct) == SlotStatuses.Voting;
    }

    /// <summary>
    /// Reopens the most recently locked slot for voting: the clips carried over come back from the next slot (which returns
    /// to upcoming), the winner competes again, and a finished season is active again. Returns the previous winner.
    /// </summary>
    public static async Task<(UnlockRefusal Refusal, Guid? PreviousWinner)> UnlockAsync(CatalogTransaction tx, Guid seasonId, int position,
        CancellationToken ct)
    {
        string slotStatus, seasonStatus;
        Guid? winner;
        int duration;
        int? laterOpen;
        await using (var command = tx.Command("""
            select sl.status as slot_status, sl.winner_clip_id, se.status as season_status, se.slot_duration_seconds,
                   (select min(position) from slots where season_id = $1 and position > $2 and status <> 'upcoming') as later_open
            from slots sl join seasons se on se.id = sl.season_id
            where sl.season_id = $1 and sl.position = $2 for update of sl, se
            """, seasonId, position))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            slotStatus = reader.Get<string>("slot_status");
            winner = reader.Get<Guid?>("winner_clip_id");
            seasonStatus = reader.Get<string>("season_status");
            duration = reader.Get<int>("slot_duration_seconds");
            laterOpen = reader.Get<int?>("later_open");
        }

        if (slotStatus != SlotStatuses.Locked)
        {
            return (UnlockRefusal.NotLocked, winner);
        }

        // Only the latest locked slot reopens: the slot after it may be open, but nothing beyond it may be locked.
        if (laterOpen is { } next && (next != position + 1 || await LockedFromAsync(tx, seasonId, position + 1, ct)))
        {
            return (UnlockRefusal.NotLatest, winner);
        }

        await tx.ExecuteAsync("update slots set status = 'upcoming', voting_ends_at = null where season_id = $1 and position = $2 + 1",
            ct, seasonId, position);
        await tx.ExecuteAsync("update clips set slot_position = $2 where season_id = $1 and slot_position = $2 + 1 and status = 'active'",
            ct, seasonId, position);
        await tx.ExecuteAsync("update clips set status = 'active' where id = $1", ct, winner);
        await tx.ExecuteAsync("""
            update slots set status = 'voting', winner_clip_id = null, winner_votes = null, winner_weighted_score = null, locked_at = null,
                voting_ends_at = now() + make_interval(secs => $3)
            where season_id = $1 and position = $2
            """, ct, seasonId, position, (double)duration);
        if (seasonStatus == SeasonStatuses.Finished)
        {
            await tx.ExecuteAsync("update seasons set status = 'active' where id = $1", ct, seasonId);
        }

        return (UnlockRefusal.None, winner);
    }

    private static async Task<bool> LockedFromAsync(CatalogTransaction tx, Guid seasonId, int from, CancellationToken ct)
    {
        await using var command = tx.Command("select 1 from slots where season_id = $1 and position >= $2 and status = 'locked' limit 1", seasonId, from);
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
