using AiMoviez.Core.Data;

namespace AiMoviez.Core.Slots;

/// <summary>The outcome of locking a slot: the winner, or null when no clip was left and the slot waits for clips again.</summary>
internal sealed record LockedSlot(Guid? WinnerClipId);

/// <summary>Slot state changes inside the caller's catalog transaction; every one is visible to edges.</summary>
internal static class SlotTransitions
{
    /// <summary>
    /// Locks a voting slot with the winner chooser's pick, moves the other active clips to the next slot (which opens, or
    /// waits for clips), or finishes the season after its last slot. The row lock plus the status (and, for the timer,
    /// votingEndsAt) check make a second closer of the same slot a no-op: returns null then. The chosen candidate's
    /// counts are kept with the slot as its final counts.
    /// </summary>
    public static async Task<LockedSlot?> LockAsync(CatalogTransaction tx, Guid seasonId, int position, DateTime? expectedEndsAt,
        Func<IReadOnlyList<Candidate>, Candidate> chooseWinner, CancellationToken ct)
    {
        await using var slotCommand = tx.Command("""
            select sl.status, sl.voting_ends_at, se.total_slots, se.slot_duration_seconds
            from slots sl join seasons se on se.id = sl.season_id
            where sl.season_id = $1 and sl.position = $2 for update of sl
            """, seasonId, position);
        string? status = null;
        DateTime? endsAt = null;
        int totalSlots = 0, duration = 0;
        await using (var reader = await slotCommand.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                status = reader.Get<string>("status");
                endsAt = reader.Get<DateTime?>("voting_ends_at");
                totalSlots = reader.Get<int>("total_slots");
                duration = reader.Get<int>("slot_duration_seconds");
            }
        }

        if (status != Contracts.SlotStatuses.Voting || (expectedEndsAt is not null && endsAt != expectedEndsAt))
        {
            return null;
        }

        var candidates = new List<Candidate>();
        await using (var clipsCommand = tx.Command("""
            select id, approved_at from clips where season_id = $1 and slot_position = $2 and status = 'active' for update
            """, seasonId, position))
        await using (var reader = await clipsCommand.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(new Candidate(reader.Get<Guid>("id"), reader.Get<DateTime>("approved_at"), 0, 0));
            }
        }

        tx.CatalogChanged();
        if (candidates.Count == 0)
        {
            // Every clip was rejected while it was voting: nothing to win, the slot waits for clips again.
            await tx.ExecuteAsync("update slots set status = 'waiting_for_clips', voting_ends_at = null where season_id = $1 and position = $2",
                ct, seasonId, position);
            return new LockedSlot(null);
        }

        var chosen = chooseWinner(candidates);
        var winner = chosen.ClipId;
        await tx.ExecuteAsync("""
            update slots set status = 'locked', winner_clip_id = $3, winner_votes = $4, winner_weighted_score = $5, locked_at = now()
            where season_id = $1 and position = $2
            """, ct, seasonId, position, winner, chosen.Votes, chosen.WeightedScore);
        await tx.ExecuteAsync("update clips set status = 'locked' where id = $1", ct, winner);
        if (position >= totalSlots)
        {
            await tx.ExecuteAsync("update seasons set status = 'finished' where id = $1", ct, seasonId);
            return new LockedSlot(winner);
        }

        // Losers compete again in the next slot; tallies are keyed by slot, so their counts start from zero there.
        var moved = await tx.ExecuteAsync("""
            update clips set slot_position = $2 + 1 where season_id = $1 and slot_position = $2 and status = 'active'
            """, ct, seasonId, position);
        await tx.ExecuteAsync("""
            update slots set
                status = case when $3 then 'voting' else 'waiting_for_clips' end,
                voting_ends_at = case when $3 then now() + make_interval(secs => $4) end
            where season_id = $1 and position = $2 + 1
            """, ct, seasonId, position, moved > 0, (double)duration);
        return new LockedSlot(winner);
    }
}
