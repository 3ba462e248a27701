using AiMoviez.Core.Data;

namespace AiMoviez.Core.Seasons;

/// <summary>A season's state as a change sees it, locked for the rest of its transaction.</summary>
internal sealed record SeasonState(int Number, string Label, string Status, int TotalSlots, int SlotDurationSeconds);

/// <summary>The catalog's changes to seasons (reads that answer requests are in <see cref="SeasonReader"/>).</summary>
internal static class SeasonStore
{
    /// <summary>The next season number; numbers are never reused.</summary>
    public static async Task<int> TakeNextNumberAsync(CatalogTransaction tx, CancellationToken ct)
    {
        await using var command = tx.Command("update catalog_state set last_season_number = last_season_number + 1 where id = 1 returning last_season_number");
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>A draft season with all its slots upcoming.</summary>
    public static async Task InsertDraftAsync(CatalogTransaction tx, Guid id, int number, string label, string genre, int totalSlots,
        int slotDurationSeconds, CancellationToken ct)
    {
        await tx.ExecuteAsync("""
            insert into seasons (id, number, label, genre, status, total_slots, slot_duration_seconds, created_at)
            values ($1, $2, $3, $4, 'draft', $5, $6, now())
            """, ct, id, number, label, genre, totalSlots, slotDurationSeconds);
        await tx.ExecuteAsync("""
            insert into slots (season_id, position, status) select $1, p, 'upcoming' from generate_series(1, $2) p
            """, ct, id, totalSlots);
    }

    /// <summary>The season's state, its row locked until the transaction ends; null when there is no such season.</summary>
    public static async Task<SeasonState?> LockAsync(CatalogTransaction tx, Guid id, CancellationToken ct)
    {
        await using var command = tx.Command("select number, label, status, total_slots, slot_duration_seconds from seasons where id = $1 for update", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? ReadState(reader)
            : null;
    }

    /// <summary>Active now; slot 1 opens for voting when clips approved during the draft wait in it, else waits for clips.</summary>
    public static async Task ActivateAsync(CatalogTransaction tx, Guid id, int slotDurationSeconds, CancellationToken ct)
    {
        await tx.ExecuteAsync("update seasons set status = 'active', activated_at = now() where id = $1", ct, id);
        await tx.ExecuteAsync("""
            update slots set
                status = case when exists (select 1 from clips where season_id = $1 and slot_position = 1 and status = 'active')
                              then 'voting' else 'waiting_for_clips' end,
                voting_ends_at = case when exists (select 1 from clips where season_id = $1 and slot_position = 1 and status = 'active')
                                      then now() + make_interval(secs => $2) end
            where season_id = $1 and position = 1
            """, ct, id, (double)slotDurationSeconds);
    }

    /// <summary>Removes the slots past <paramref name="newTotal"/>, or adds upcoming ones up to it.</summary>
    public static async Task ResizeSlotsAsync(CatalogTransaction tx, Guid id, int oldTotal, int newTotal, CancellationToken ct)
    {
        await tx.ExecuteAsync("delete from slots where season_id = $1 and position > $2", ct, id, newTotal);
        await tx.ExecuteAsync("""
            insert into slots (season_id, position, status) select $1, p, 'upcoming' from generate_series($2, $3) p
            """, ct, id, oldTotal + 1, newTotal);
    }

    /// <summary>Sets the fields given; null leaves one as it is.</summary>
    public static Task UpdateAsync(CatalogTransaction tx, Guid id, string? label, string? genre, int? totalSlots, int? slotDurationSeconds,
        string? status, CancellationToken ct) =>
        tx.ExecuteAsync("""
            update seasons set
                label = coalesce($2, label),
                genre = coalesce($3, genre),
                total_slots = coalesce($4, total_slots),
                slot_duration_seconds = coalesce($5, slot_duration_seconds),
                status = coalesce($6, status)
            where id = $1
            """, ct, id, label, genre, totalSlots, slotDurationSeconds, status);

    /// <summary>Deletes the season (its slots and clips go with it); what it was, or null when there was none.</summary>
    public static async Task<SeasonState?> DeleteAsync(CatalogTransaction tx, Guid id, CancellationToken ct)
    {
        await using var command = tx.Command("delete from seasons where id = $1 returning number, status, total_slots, slot_duration_seconds, label", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? ReadState(reader)
            : null;
    }

    private static SeasonState ReadState(System.Data.Common.DbDataReader reader) => new(reader.Get<int>("number"), reader.Get<string>("label"),
        reader.Get<string>("status"), reader.Get<int>("total_slots"), reader.Get<int>("slot_duration_seconds"));
}
