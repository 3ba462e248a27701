using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Bans;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Clips;

/// <summary>Public clip read and creator registration.</summary>
internal static class ClipsApi
{
    public const double MaxDurationSeconds = 8.5;

    public static RouteGroupBuilder MapClipsApi(this RouteGroupBuilder v1)
    {
        var clips = v1.MapGroup("/clips").WithTags("Clips");
        clips.MapGet("/{id:guid}", Get).WithSummary("One clip").RequirePublicReadLimit();
        clips.MapPost("/", Create).WithRequestValidation<CreateClipRequest>().RequireAuthorization().WithSummary("Register a clip (creator JWT); it awaits moderation");
        return v1;
    }

    /// <summary>A pending or rejected clip is its creator's and the admins' business: anyone else gets the 404 of a missing one.</summary>
    private static async Task<Results<Ok<ClipResponse>, ProblemHttpResult>> Get(
        Guid id, ClaimsPrincipal user, HttpResponse response, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await ClipReader.ReadAsync(tx, id, ct) is not { } clip || !IsVisibleTo(clip, user))
        {
            return Problems.NotFound($"Clip {id} does not exist.");
        }

        // A clip still in moderation is its creator's and the admins' view: no shared cache may keep it.
        response.Headers.CacheControl = IsPublic(clip) ? "public, max-age=5" : "private, no-store";
        return TypedResults.Ok(clip);
    }

    private static bool IsPublic(ClipResponse clip) => clip.Status is not (ClipStatuses.Pending or ClipStatuses.Rejected);

    private static bool IsVisibleTo(ClipResponse clip, ClaimsPrincipal user) =>
        IsPublic(clip)
        || user.IsInRole("admin")
        || (user.Identity?.IsAuthenticated == true && Creators.IdOf(user) == clip.CreatorId);

    private static async Task<Results<Created<ClipResponse>, ProblemHttpResult>> Create(
        CreateClipRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        if (await BanStore.IsUserBannedAsync(tx, user.Subject(), ct))
        {
            return Problems.For(ErrorCodes.VoterBanned, "This account is banned and cannot submit clips.");
        }

        await using var seasonCommand = tx.Command("select status from seasons where id = $1 for share", request.SeasonId!.Value);
        var seasonStatus = (string?)await seasonCommand.ExecuteScalarAsync(ct);
        if (seasonStatus is null)
        {
            return Problems.NotFound($"Season {request.SeasonId} does not exist.");
        }

        // Drafts take clips too, so a season can be stocked and moderated before it opens.
        if (seasonStatus is not (SeasonStatuses.Draft or SeasonStatuses.Active))
        {
            return Problems.Conflict($"Season {request.SeasonId} is {seasonStatus} and takes no more clips.");
        }

        var id = Guid.CreateVersion7();
        await tx.ExecuteAsync("""
            insert into clips (id, season_id, creator_id, title, genre, video_url, thumbnail_url, duration_seconds, status, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', now())
            """, ct, id, request.SeasonId.Value, Creators.IdOf(user), request.Title!.Trim(), Genres.Canonical(request.Genre)!,
            request.VideoUrl!, request.ThumbnailUrl, (decimal)request.DurationSeconds!.Value);
        if (seasonStatus == SeasonStatuses.Active)
        {
            // The snapshot lists an active season's pending clips as not votable.
            tx.CatalogChanged();
        }

        var clip = (await ClipReader.ReadAsync(tx, id, ct))!;
        await tx.CommitAsync(audit: null, ct);
        return TypedResults.Created($"/v1/clips/{id}", clip);
    }
}
