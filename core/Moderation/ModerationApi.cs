using AiMoviez.Contracts;
using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Clips;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Moderation;

/// <summary>Admin: the moderation queue, approve, reject, bulk, and edits of a clip's metadata.</summary>
internal static class ModerationApi
{
    public const int MaxBulk = 100;

    private static readonly string[] Statuses = [ClipStatuses.Pending, ClipStatuses.Active, ClipStatuses.Locked, ClipStatuses.Rejected];

    private sealed record Position(DateTime CreatedAt, Guid Id);

    public static RouteGroupBuilder MapModerationApi(this RouteGroupBuilder admin)
    {
        var clips = admin.MapGroup("/clips");
        clips.MapGet("/", Queue).WithSummary("Moderation queue: clips by status, oldest first (keyset)");
        clips.MapPost("/{id:guid}/approve", (Guid id, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            ModerateOne(ClipModeration.Approve, id, user, catalog, ct)).WithName("ApproveClip").WithSummary("Approve a pending clip into the current slot");
        clips.MapPost("/{id:guid}/reject", (Guid id, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            ModerateOne(ClipModeration.Reject, id, user, catalog, ct)).WithName("RejectClip").WithSummary("Reject a pending or active clip");
        clips.MapPost("/bulk", Bulk).WithSummary("Approve or reject many clips at once (all or nothing)");
        clips.MapPatch("/{id:guid}", Edit).WithRequestValidation<EditClipRequest>().WithName("EditClip").WithSummary("Edit a clip's title, genre or thumbnail");
        return admin;
    }

    private static async Task<Results<Ok<ClipResponse>, ProblemHttpResult>> Edit(
        Guid id, EditClipRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (!await ClipStore.UpdateMetadataAsync(tx, id, request.Title?.Trim(), Genres.Canonical(request.Genre), request.ThumbnailUrl, ct))
        {
            return Problems.NotFound($"Clip {id} does not exist.", ErrorCodes.ClipNotFound);
        }

        // Ballots show titles and thumbnails from the edges' snapshot.
        tx.CatalogChanged();
        var clip = (await ClipReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "clip.edit", "clip", id, new Dictionary<string, object?>
        {
            ["title"] = request.Title, ["genre"] = request.Genre, ["thumbnailUrl"] = request.ThumbnailUrl,
        }), ct);
        return TypedResults.Ok(clip);
    }

    private static async Task<Results<Ok<Page<ClipResponse>>, ProblemHttpResult>> Queue(
        string? status, string? cursor, int? limit, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        status ??= ClipStatuses.Pending;
        if (!Statuses.Contains(status))
        {
            return Problems.Invalid("status must be one of " + string.Join(", ", Statuses) + ".");
        }

        if (!PageRequest<Position>.TryParse(cursor, limit, defaultLimit: 50, out var page, out var problem))
        {
            return problem;
        }

        var (after, take) = page;
        await using var tx = await catalog.BeginAsync(ct);
        await using var command = tx.Command($"""
            select {ClipReader.Columns} from clips
            where status = $1 and (created_at, id) > ($2, $3)
            order by created_at, id limit $4
            """, status, after?.CreatedAt ?? DateTime.UnixEpoch, after?.Id ?? Guid.Empty, take + 1);
        var clips = await ClipReader.ReadAllAsync(command, ct);
        await tx.CommitAsync(AuditEntry.For(user, "clips.queue.read", "clip", status, new Dictionary<string, object?> { ["cursor"] = cursor }), ct);
        var next = clips.Count > take ? Cursor.Encode(new Position(clips[take - 1].CreatedAt, clips[take - 1].Id)) : null;
        return TypedResults.Ok(new Page<ClipResponse>(clips.Take(take).ToList(), next));
    }

    private static async Task<Results<Ok<ClipResponse>, ProblemHttpResult>> ModerateOne(
        string action, Guid id, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await ClipModeration.ApplyAsync(tx, action, id, ct) is { } failure)
        {
            return failure.NotFound ? Problems.NotFound($"Clip {id} does not exist.", ErrorCodes.ClipNotFound) : Problems.Conflict(failure.Detail);
        }

        var clip = (await ClipReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(AuditEntry.For(user, "clip." + action, "clip", id, new Dictionary<string, object?>
        {
            ["seasonId"] = clip.SeasonId, ["slotPosition"] = clip.SlotPosition,
        }), ct);
        return TypedResults.Ok(clip);
    }

    private static async Task<Results<Ok<BulkModerationResponse>, ProblemHttpResult>> Bulk(
        BulkModerationRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (request.Action is not (ClipModeration.Approve or ClipModeration.Reject))
        {
            return Problems.Invalid("action must be approve or reject.");
        }

        if (request.ClipIds is not { Count: > 0 and <= MaxBulk } ids || ids.Distinct().Count() != ids.Count)
        {
            return Problems.Invalid($"clipIds must hold 1 to {MaxBulk} distinct ids.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        var clips = new List<ClipResponse>();
        // Sorted so two bulk calls over overlapping clips lock rows in the same order.
        foreach (var id in ids.Order())
        {
            if (await ClipModeration.ApplyAsync(tx, request.Action, id, ct) is { } failure)
            {
                return failure.NotFound ? Problems.NotFound($"Clip {id} does not exist.", ErrorCodes.ClipNotFound) : Problems.Conflict(failure.Detail);
            }
        }

        foreach (var id in ids)
        {
            clips.Add((await ClipReader.ReadAsync(tx, id, ct))!);
        }

        await tx.CommitAsync(AuditEntry.For(user, "clips.bulk_" + request.Action, "clip", string.Join(',', ids),
            new Dictionary<string, object?> { ["clipIds"] = ids }), ct);
        return TypedResults.Ok(new BulkModerationResponse(request.Action, clips));
    }
}
