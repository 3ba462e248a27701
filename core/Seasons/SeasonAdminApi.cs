using AiMoviez.Contracts;
using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiMoviez.Core.Seasons;

/// <summary>Admin: create, activate, edit and delete seasons.</summary>
public static class SeasonAdminApi
{
    public static RouteGroupBuilder MapSeasonAdminApi(this RouteGroupBuilder admin)
    {
        var seasons = admin.MapGroup("/seasons");
        seasons.MapPost("/", Create).WithSummary("Create a draft season");
        seasons.MapPost("/{id:guid}/activate", Activate).WithSummary("Activate a draft season; slot 1 opens");
        seasons.MapPatch("/{id:guid}", Update).WithSummary("Edit a season");
        seasons.MapDelete("/{id:guid}", Delete).WithSummary("Delete a season (confirm=true)");
        return admin;
    }

    private static async Task<Results<Created<SeasonResponse>, ProblemHttpResult>> Create(
        CreateSeasonRequest request, ClaimsPrincipal user, CatalogDatabase catalog, ShardDatabases shards, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        SeasonRules.CheckLabel(request.Label, errors);
        SeasonRules.CheckGenre(request.Genre, errors);
        SeasonRules.CheckTotalSlots(request.TotalSlots, errors);
        SeasonRules.CheckSlotDuration(request.SlotDurationSeconds, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("The season is not valid.", errors);
        }

        await using var tx = await catalog.BeginAsync(ct);
        await using var numberCommand = tx.Command("update catalog_state set last_season_number = last_season_number + 1 where id = 1 returning last_season_number");
        var number = (int)(await numberCommand.ExecuteScalarAsync(ct))!;
        if (shards.Map.ShardFor(number) is null)
        {
            return Problems.Conflict($"The shard map has no shard for season number {number}; append a range to regions/ first.");
        }

        var id = Guid.CreateVersion7();
        await tx.ExecuteAsync("""
            insert into seasons (id, number, label, genre, status, total_slots, slot_duration_seconds, created_at)
            values ($1, $2, $3, $4, 'draft', $5, $6, now())
            """, ct, id, number, request.Label!.Trim(), Genres.Canonical(request.Genre)!, request.TotalSlots ?? 75, request.SlotDurationSeconds ?? 86400);
        await tx.ExecuteAsync("""
            insert into slots (season_id, position, status) select $1, p, 'upcoming' from generate_series(1, $2) p
            """, ct, id, request.TotalSlots ?? 75);
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
        await using var statusCommand = tx.Command("select status, slot_duration_seconds from seasons where id = $1 for update", id);
        string? status = null;
        var duration = 0;
        await using (var reader = await statusCommand.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                status = reader.GetString(0);
                duration = reader.GetInt32(1);
            }
        }

        if (status is null)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        if (status != SeasonStatuses.Draft)
        {
            return Problems.Conflict($"Only a draft season can be activated; this one is {status}.");
        }

        await tx.ExecuteAsync("update seasons set status = 'active', activated_at = now() where id = $1", ct, id);
        // Clips approved while the season was a draft wait in slot 1; with them it opens for voting.
        await tx.ExecuteAsync("""
            update slots set
                status = case when exists (select 1 from clips where season_id = $1 and slot_position = 1 and status = 'active')
                              then 'voting' else 'waiting_for_clips' end,
                voting_ends_at = case when exists (select 1 from clips where season_id = $1 and slot_position = 1 and status = 'active')
                                      then now() + make_interval(secs => $2) end
            where season_id = $1 and position = 1
            """, ct, id, (double)duration);
        tx.CatalogChanged();
        var season = (await SeasonReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "season.activate", "season", id), ct);
        return TypedResults.Ok(season);
    }

    private static async Task<Results<Ok<SeasonResponse>, ProblemHttpResult>> Update(
        Guid id, UpdateSeasonRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Label is not null)
        {
            SeasonRules.CheckLabel(request.Label, errors);
        }

        if (request.Genre is not null)
        {
            SeasonRules.CheckGenre(request.Genre, errors);
        }

        SeasonRules.CheckTotalSlots(request.TotalSlots, errors);
        SeasonRules.CheckSlotDuration(request.SlotDurationSeconds, errors);
        if (request.Status is not null and not SeasonStatuses.Archived)
        {
            errors["status"] = ["status can only be set to archived (a finished season); use activate to start one."];
        }

        if (request is { Label: null, Genre: null, TotalSlots: null, SlotDurationSeconds: null, Status: null })
        {
            errors["body"] = ["Nothing to change."];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid("The season change is not valid.", errors);
        }

        await using var tx = await catalog.BeginAsync(ct);
        await using var statusCommand = tx.Command("select status, total_slots from seasons where id = $1 for update", id);
        string? status = null;
        var totalSlots = 0;
        await using (var reader = await statusCommand.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                status = reader.GetString(0);
                totalSlots = reader.GetInt32(1);
            }
        }

        if (status is null)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        if (request.TotalSlots is { } newTotal && newTotal != totalSlots)
        {
            if (status != SeasonStatuses.Draft)
            {
                return Problems.Conflict("totalSlots can only change while the season is a draft.");
            }

            await tx.ExecuteAsync("delete from slots where season_id = $1 and position > $2", ct, id, newTotal);
            await tx.ExecuteAsync("""
                insert into slots (season_id, position, status) select $1, p, 'upcoming' from generate_series($2, $3) p
                """, ct, id, totalSlots + 1, newTotal);
        }

        if (request.Status is not null && status != SeasonStatuses.Finished && status != SeasonStatuses.Archived)
        {
            return Problems.Conflict($"Only a finished season can be archived; this one is {status}.");
        }

        await tx.ExecuteAsync("""
            update seasons set
                label = coalesce($2, label),
                genre = coalesce($3, genre),
                total_slots = coalesce($4, total_slots),
                slot_duration_seconds = coalesce($5, slot_duration_seconds),
                status = coalesce($6, status)
            where id = $1
            """, ct, id, request.Label?.Trim(), Genres.Canonical(request.Genre), request.TotalSlots, request.SlotDurationSeconds, request.Status);
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
        await using var command = tx.Command("delete from seasons where id = $1 returning number, label, status", id);
        IReadOnlyDictionary<string, object?>? details = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                details = new Dictionary<string, object?>
                {
                    ["number"] = reader.GetInt32(0), ["label"] = reader.GetString(1), ["status"] = reader.GetString(2),
                };
            }
        }

        if (details is null)
        {
            return Problems.NotFound($"Season {id} does not exist.");
        }

        tx.CatalogChanged();
        await tx.CommitAsync(AuditEntry.For(user, "season.delete", "season", id, details), ct);
        return TypedResults.NoContent();
    }
}
