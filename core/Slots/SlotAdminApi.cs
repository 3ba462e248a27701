using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Slots;

internal sealed record AssignWinnerRequest(Guid? ClipId);

/// <summary>Admin overrides of the slot lifecycle.</summary>
internal static class SlotAdminApi
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

        if (await SlotStore.ClipSeasonNumberAsync(tx, clipId, id, ct) is not { } seasonNumber)
        {
            return Problems.NotFound($"Clip {clipId} does not exist.", ErrorCodes.ClipNotFound);
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

            // The close itself waits for the barrier like the timer's does.
            if (await SlotStore.EndVotingNowAsync(tx, id, position, ct) is not { } ended)
            {
                return Problems.Conflict($"Slot {position} is not voting.");
            }

            due = ended;
            tx.CatalogChanged();
            await tx.CommitAsync(AuditEntry.For(user, "slot.advance", "slot", $"{id}/{position}",
                new Dictionary<string, object?> { ["votingEndsAt"] = due.VotingEndsAt }), ct);
        }

        // Close in the request when the barrier drains soon; otherwise the loop finishes it and the answer shows the ended slot.
        var deadline = due.VotingEndsAt + closer.Grace + options.Value.AdvanceWait;
        while (time.GetUtcNow().UtcDateTime < deadline)
        {
            var wait = due.VotingEndsAt + closer.Grace - time.GetUtcNow().UtcDateTime;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(250), time, ct);
            if (await closer.TryCloseAsync(due, ct) || !await SlotStore.IsVotingAsync(catalog, id, position, ct))
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

        var number = await SlotStore.SeasonNumberAsync(tx, id, ct);
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

        var (refusal, winner) = await SlotStore.UnlockAsync(tx, id, position, ct);
        switch (refusal)
        {
            case UnlockRefusal.NotLocked:
                return Problems.Conflict($"Slot {position} is not locked.");
            case UnlockRefusal.NotLatest:
                return Problems.Conflict($"Slot {position} is not the most recently locked slot.");
        }

        tx.CatalogChanged();
        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "slot.unlock", "slot", $"{id}/{position}",
            new Dictionary<string, object?> { ["previousWinnerClipId"] = winner }), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<ProblemHttpResult?> SlotExistsAsync(CatalogTransaction tx, Guid seasonId, int position, CancellationToken ct) =>
        await SlotStore.FindAsync(tx, seasonId, position, ct) switch
        {
            SlotPresence.NoSeason => Problems.NotFound($"Season {seasonId} does not exist."),
            SlotPresence.NoSlot => Problems.NotFound($"Season {seasonId} has no slot {position}."),
            _ => null,
        };
}
