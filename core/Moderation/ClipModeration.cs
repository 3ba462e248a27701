using AiMoviez.Contracts;
using AiMoviez.Core.Clips;
using AiMoviez.Core.Data;
using AiMoviez.Core.Seasons;

namespace AiMoviez.Core.Moderation;

/// <summary>Approve and reject inside the caller's transaction (single and bulk share it).</summary>
internal static class ClipModeration
{
    public const string Approve = "approve";
    public const string Reject = "reject";

    public static async Task<ModerationFailure?> ApplyAsync(CatalogTransaction tx, string action, Guid clipId, CancellationToken ct)
    {
        await using var clipCommand = tx.Command("""
            select c.status as clip_status, c.season_id, s.status as season_status, s.slot_duration_seconds
            from clips c join seasons s on s.id = c.season_id where c.id = $1 for update of c
            """, clipId);
        string? clipStatus = null, seasonStatus = null;
        Guid seasonId = default;
        var duration = 0;
        await using (var reader = await clipCommand.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                clipStatus = reader.Get<string>("clip_status");
                seasonId = reader.Get<Guid>("season_id");
                seasonStatus = reader.Get<string>("season_status");
                duration = reader.Get<int>("slot_duration_seconds");
            }
        }

        if (clipStatus is null)
        {
            return new ModerationFailure(true, $"Clip {clipId} does not exist.");
        }

        return action == Approve
            ? await ApproveAsync(tx, clipId, clipStatus, seasonId, seasonStatus!, duration, ct)
            : await RejectAsync(tx, clipId, clipStatus, ct);
    }

    private static async Task<ModerationFailure?> ApproveAsync(CatalogTransaction tx, Guid clipId, string clipStatus, Guid seasonId,
        string seasonStatus, int duration, CancellationToken ct)
    {
        if (clipStatus != ClipStatuses.Pending)
        {
            return new ModerationFailure(false, $"Clip {clipId} is {clipStatus}; only a pending clip can be approved.");
        }

        if (seasonStatus == SeasonStatuses.Draft)
        {
            // Waits in slot 1, which opens for voting with it when the season is activated.
            await tx.ExecuteAsync("update clips set status = 'active', slot_position = 1, approved_at = now() where id = $1", ct, clipId);
            return null;
        }

        if (seasonStatus != SeasonStatuses.Active)
        {
            return new ModerationFailure(false, $"The clip's season is {seasonStatus}; its clips can no longer be approved.");
        }

        // The slot row lock orders this against a concurrent close of the same slot.
        await using var slotCommand = tx.Command("""
            select position, status from slots where season_id = $1 and status in ('voting', 'waiting_for_clips') for update
            """, seasonId);
        int? position = null;
        string? slotStatus = null;
        await using (var reader = await slotCommand.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                position = reader.Get<int>("position");
                slotStatus = reader.Get<string>("status");
            }
        }

        if (position is null)
        {
            return new ModerationFailure(false, "The clip's season has no slot open for clips.");
        }

        await tx.ExecuteAsync("update clips set status = 'active', slot_position = $2, approved_at = now() where id = $1", ct, clipId, position.Value);
        if (slotStatus == Contracts.SlotStatuses.WaitingForClips)
        {
            await tx.ExecuteAsync("""
                update slots set status = 'voting', voting_ends_at = now() + make_interval(secs => $3)
                where season_id = $1 and position = $2
                """, ct, seasonId, position.Value, (double)duration);
        }

        tx.CatalogChanged();
        return null;
    }

    private static async Task<ModerationFailure?> RejectAsync(CatalogTransaction tx, Guid clipId, string clipStatus, CancellationToken ct)
    {
        // An active clip can be taken out of voting too (moderation after the fact); a winner stays.
        if (clipStatus is not (ClipStatuses.Pending or ClipStatuses.Active))
        {
            return new ModerationFailure(false, $"Clip {clipId} is {clipStatus}; only a pending or active clip can be rejected.");
        }

        await tx.ExecuteAsync("update clips set status = 'rejected', slot_position = null where id = $1", ct, clipId);
        // A pending clip already counts as not votable in the snapshot; only an active one leaves the voting list.
        if (clipStatus == ClipStatuses.Active)
        {
            tx.CatalogChanged();
        }

        return null;
    }
}
