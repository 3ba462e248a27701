using AiMoviez.Contracts;
using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiMoviez.Core.Seasons;

/// <summary>Admin: create, activate, edit and delete seasons.</summary>
internal static class SeasonAdminApi
{
    public static RouteGroupBuilder MapSeasonAdminApi(this RouteGroupBuilder admin)
    {
        var seasons = admin.MapGroup("/seasons");
        seasons.MapPost("/", Create).WithRequestValidation<CreateSeasonRequest>().WithSummary("Create a draft season");
        seasons.MapPost("/{id:guid}/activate", Activate).WithSummary("Activate a draft season; slot 1 opens");
        seasons.MapPatch("/{id:guid}", Update).WithRequestValidation<UpdateSeasonRequest>().WithSummary("Edit a season");
        seasons.MapDelete("/{id:guid}", Delete).WithSummary("Delete a season (confirm=true)");
        return admin;
    }

    private static async Task<Results<Created<SeasonResponse>, ProblemHttpResult>> Create(
        CreateSeasonRequest request, ClaimsPrincipal user, CatalogDatabase catalog, ShardDatabases shards, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        var number = await SeasonStore.TakeNextNumberAsync(tx, ct);
        if (shards.Map.ShardFor(number) is null)
        {
            return Problems.Conflict($"The shard map has no shard for season number {number}; append a range to regions/ first.");
        }

        var id = Guid.CreateVersion7();
        await SeasonStore.InsertDraftAsync(tx, id, number, request.Label!.Trim(), Genres.Canonical(request.Genre)!, request.TotalSlots ?? 75,
            request.SlotDurationSeconds ?? 86400, ct);
        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "season.create", "season", id, new Dictionary<string, object?>
        {
            ["number"] = number, ["label"] = season.Label, ["genre"] = season.Genre,
            ["totalSlots"] = season.TotalSlots, ["slotDurationSeconds"] = season.SlotDurationSeconds,
        }), ct);
        return TypedResults.Created($"/v1/seasons/{id}", season);
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Activate(
        Guid id, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await SeasonStore.LockAsync(tx, id, ct) is not { } state)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        if (state.Status != SeasonStatuses.Draft)
        {
            return Problems.Conflict($"Only a draft season can be activated; this one is {state.Status}.");
        }

        await SeasonStore.ActivateAsync(tx, id, state.SlotDurationSeconds, ct);
        tx.CatalogChanged();
        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "season.activate", "season", id), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Update(
        Guid id, UpdateSeasonRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await SeasonStore.LockAsync(tx, id, ct) is not { } state)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        var status = state.Status;
        if (request.TotalSlots is { } newTotal && newTotal != state.TotalSlots)
        {
            if (status != SeasonStatuses.Draft)
            {
                return Problems.Conflict("totalSlots can only change while the season is a draft.");
            }

            await SeasonStore.ResizeSlotsAsync(tx, id, state.TotalSlots, newTotal, ct);
        }

        if (request.Status is not null && status != SeasonStatuses.Finished && status != SeasonStatuses.Archived)
        {
            return Problems.Conflict($"Only a finished season can be archived; this one is {status}.");
        }

        await SeasonStore.UpdateAsync(tx, id, request.Label?.Trim(), Genres.Canonical(request.Genre), request.TotalSlots,
            request.SlotDurationSeconds, request.Status, ct);
        if (status == SeasonStatuses.Active || request.Status is not null)
        {
            tx.CatalogChanged();
        }

        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "season.update", "season", id, new Dictionary<string, object?>
        {
            ["label"] = request.Label, ["genre"] = request.Genre, ["totalSlots"] = request.TotalSlots,
            ["slotDurationSeconds"] = request.SlotDurationSeconds, ["status"] = request.Status,
        }), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid id, [FromQuery] bool? confirm, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (confirm != true)
        {
            return Problems.Invalid("Deleting a season needs confirm=true.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        if (await SeasonStore.DeleteAsync(tx, id, ct) is not { } deleted)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        tx.CatalogChanged();
        await tx.CommitAsync(AuditEntry.For(user, "season.delete", "season", id, new Dictionary<string, object?>
        {
            ["number"] = deleted.Number, ["label"] = deleted.Label, ["status"] = deleted.Status,
        }), ct);
        return TypedResults.NoContent();
    }
}
