using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Slots;

public sealed record AssignWinnerRequest(Guid? ClipId);

/// <summary>Admin overrides of the slot lifecycle.</summary>
public static class SlotAdminApi
{
    public static RouteGroupBuilder MapSlotAdminApi(this RouteGroupBuilder admin)
    {
        var slot = admin.MapGroup("/seasons/{id:guid}/slots/{position:int}");
        slot.MapPost("/assign-winner", AssignWinner).WithSummary("Lock the slot now with the given winner");
        slot.MapPost("/advance", Advance).WithSummary("Close the voting slot now and advance as if its time ran out (waits for the barrier)");
        slot.MapPost("/reset-votes", ResetVotes).WithSummary("Remove every vote and count of the slot (through the aggregator)");
        slot.MapPost("/unlock", Unlock).WithSummary("Reopen the most recently locked slot for voting");
        return admin;
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> AssignWinner(
        Guid id, int position, AssignWinnerRequest request, ClaimsPrincipal user, CatalogDatabase catalog, SlotTallies slotTallies,
        CancellationToken ct)
    {
        if (request.ClipId is not { } clipId)
        {
            return Problems.Invalid("clipId is required.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        if (await SlotExistsAsync(tx, id, position, ct) is { } missing)
        {
            return missing;
        }

        int seasonNumber;
        await using (var clipCommand = tx.Command(
            "select se.number from clips c join seasons se on se.id = c.season_id where c.id = $1 and c.season_id = $2", clipId, id))
        {
            if (await clipCommand.ExecuteScalarAsync(ct) is not int number)
            {
                return Problems.ClipNotFound(clipId);
            }

            seasonNumber = number;
        }

        // The winner's counts as they stand now become the slot's final counts.
        Dictionary<Guid, (long Votes, long WeightedScore)> tallies;
        try
        {
            tallies = await slotTallies.ReadAsync(seasonNumber, id, position, ct);
        }
        catch (Npgsql.NpgsqlException)
        {
            return Problems.Unavailable("The season's vote shard does not answer, so the winner's counts are unknown; try again.");
        }

        var wrongClip = false;
        var locked = await SlotTransitions.LockAsync(tx, id, position, expectedEndsAt: null, candidates =>
        {
            var counted = SlotTallies.Apply(candidates, tallies);
            wrongClip = counted.All(c => c.ClipId != clipId);
            return counted.FirstOrDefault(c => c.ClipId == clipId) ?? new Candidate(clipId, DateTime.UnixEpoch, 0, 0);
        }, ct);
        if (locked is null)
        {
            return Problems.Conflict($"Slot {position} is not voting.");
        }

        if (wrongClip)
        {
            return Problems.Conflict($"Clip {clipId} is not active in slot {position}.");
        }

        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "slot.assign_winner", "slot", $"{id}/{position}",
            new Dictionary<string, object?> { ["clipId"] = clipId }), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Advance(
        Guid id, int position, ClaimsPrincipal user, CatalogDatabase catalog, SlotCloser closer, IOptions<SlotOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        DueSlot due;
        await using (var tx = await catalog.BeginAsync(ct))
        {
            if (await SlotExistsAsync(tx, id, position, ct) is { } missing)
            {
                return missing;
            }

            // Edges refuse votes from here on; the close itself waits for the barrier like the timer's does.
            await using var endCommand = tx.Command("""
                update slots sl set voting_ends_at = least(sl.voting_ends_at, now())
                from seasons se where se.id = sl.season_id and sl.season_id = $1 and sl.position = $2 and sl.status = 'voting'
                returning se.number, sl.voting_ends_at
                """, id, position);
            DueSlot? ended = null;
            await using (var reader = await endCommand.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    ended = new DueSlot(id, reader.GetInt32(0), position, reader.GetDateTime(1));
                }
            }

            if (ended is null)
            {
                return Problems.Conflict($"Slot {position} is not voting.");
            }

            due = ended;
            tx.CatalogChanged();
            await tx.CommitAsync(AuditEntry.For(user, "slot.advance", "slot", $"{id}/{position}",
                new Dictionary<string, object?> { ["votingEndsAt"] = due.VotingEndsAt }), ct);
        }

        // Close in the request when the barrier drains soon; otherwise the loop finishes it and the answer shows the ended slot.
        var deadline = due.VotingEndsAt + closer.Grace + TimeSpan.FromSeconds(options.Value.AdvanceWaitSeconds);
        while (time.GetUtcNow().UtcDateTime < deadline)
        {
            var wait = due.VotingEndsAt + closer.Grace - time.GetUtcNow().UtcDateTime;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(250), time, ct);
            if (await closer.TryCloseAsync(due, ct) || await IsClosedAsync(catalog, id, position, ct))
            {
                break;
            }
        }

        return TypedResults.Ok((await SeasonReader.ReadAsync(catalog, id, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ResetVotes(
        Guid id, int position, ClaimsPrincipal user, CatalogDatabase catalog, AggregatorClient aggregator, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await SlotExistsAsync(tx, id, position, ct) is { } missing)
        {
            return missing;
        }

        await using var numberCommand = tx.Command("select number from seasons where id = $1", id);
        var number = (int)(await numberCommand.ExecuteScalarAsync(ct))!;
        if (!await aggregator.ResetSlotAsync(id, number, position, ct))
        {
            return Problems.Unavailable("The aggregator did not reset the slot; try again.");
        }

        await tx.CommitAsync(AuditEntry.For(user, "slot.reset_votes", "slot", $"{id}/{position}"), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Unlock(
        Guid id, int position, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await SlotExistsAsync(tx, id, position, ct) is { } missing)
        {
            return missing;
        }

        await using var stateCommand = tx.Command("""
            select sl.status, sl.winner_clip_id, se.status, se.slot_duration_seconds,
                   (select min(position) from slots where season_id = $1 and position > $2 and status <> 'upcoming')
            from slots sl join seasons se on se.id = sl.season_id
            where sl.season_id = $1 and sl.position = $2 for update of sl, se
            """, id, position);
        string slotStatus, seasonStatus;
        Guid? winner;
        int duration;
        int? laterOpen;
        await using (var reader = await stateCommand.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            slotStatus = reader.GetString(0);
            winner = reader.GetNullableGuid(1);
            seasonStatus = reader.GetString(2);
            duration = reader.GetInt32(3);
            laterOpen = reader.GetNullableInt32(4);
        }

        if (slotStatus != SlotStatuses.Locked)
        {
            return Problems.Conflict($"Slot {position} is not locked.");
        }

        // Only the latest locked slot reopens: the slot after it may be open, but nothing beyond it may be locked.
        if (laterOpen is { } next && (next != position + 1 || await LaterLockedAsync(tx, id, position + 1, ct)))
        {
            return Problems.Conflict($"Slot {position} is not the most recently locked slot.");
        }

        // The carried-over clips come back from the next slot, which returns to upcoming; the winner competes again.
        await tx.ExecuteAsync("update slots set status = 'upcoming', voting_ends_at = null where season_id = $1 and position = $2 + 1",
            ct, id, position);
        await tx.ExecuteAsync("update clips set slot_position = $2 where season_id = $1 and slot_position = $2 + 1 and status = 'active'",
            ct, id, position);
        await tx.ExecuteAsync("update clips set status = 'active' where id = $1", ct, winner);
        await tx.ExecuteAsync("""
            update slots set status = 'voting', winner_clip_id = null, winner_votes = null, winner_weighted_score = null, locked_at = null,
                voting_ends_at = now() + make_interval(secs => $3)
            where season_id = $1 and position = $2
            """, ct, id, position, (double)duration);
        if (seasonStatus == SeasonStatuses.Finished)
        {
            await tx.ExecuteAsync("update seasons set status = 'active' where id = $1", ct, id);
        }

        tx.CatalogChanged();
        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "slot.unlock", "slot", $"{id}/{position}",
            new Dictionary<string, object?> { ["previousWinnerClipId"] = winner }), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<bool> LaterLockedAsync(CatalogTransaction tx, Guid seasonId, int from, CancellationToken ct)
    {
        await using var command = tx.Command("select 1 from slots where season_id = $1 and position >= $2 and status = 'locked' limit 1", seasonId, from);
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static async Task<ProblemHttpResult?> SlotExistsAsync(CatalogTransaction tx, Guid seasonId, int position, CancellationToken ct)
    {
        await using var command = tx.Command("""
            select (select 1 from seasons where id = $1), (select 1 from slots where season_id = $1 and position = $2)
            """, seasonId, position);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.IsDBNull(0) ? Problems.NotFound($"Season {seasonId} does not exist.")
            : reader.IsDBNull(1) ? Problems.NotFound($"Season {seasonId} has no slot {position}.")
            : null;
    }

    private static async Task<bool> IsClosedAsync(CatalogDatabase catalog, Guid seasonId, int position, CancellationToken ct)
    {
        await using var command = catalog.DataSource.CreateCommand("select status from slots where season_id = $1 and position = $2");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = seasonId });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = position });
        return (string?)await command.ExecuteScalarAsync(ct) != SlotStatuses.Voting;
    }
}
