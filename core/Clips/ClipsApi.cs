using System.Security.Claims;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Clips;

/// <summary>Public clip read and creator registration.</summary>
public static class ClipsApi
{
    public const double MaxDurationSeconds = 8.5;

    public static RouteGroupBuilder MapClipsApi(this RouteGroupBuilder v1)
    {
        var clips = v1.MapGroup("/clips").WithTags("Clips");
        clips.MapGet("/{id:guid}", Get).WithSummary("One clip");
        clips.MapPost("/", Create).RequireAuthorization().WithSummary("Register a clip (creator JWT); it awaits moderation");
        return v1;
    }

    private static async Task<Results<Ok<ClipResponse>, ProblemHttpResult>> Get(Guid id, CatalogDatabase catalog, CancellationToken ct)
    {
        await using var tx = await catalog.BeginAsync(ct);
        return await ClipReader.ReadAsync(tx, id, ct) is { } clip ? TypedResults.Ok(clip) : Problems.ClipNotFound(id);
    }

    private static async Task<Results<Created<ClipResponse>, ProblemHttpResult>> Create(
        CreateClipRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return Problems.Invalid("The clip is not valid.", errors);
        }

        await using var tx = await catalog.BeginAsync(ct);
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

    private static Dictionary<string, string[]> Validate(CreateClipRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.SeasonId is null || request.SeasonId == Guid.Empty)
        {
            errors["seasonId"] = ["seasonId is required."];
        }

        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > 200)
        {
            errors["title"] = ["title is required, at most 200 characters."];
        }

        SeasonRules.CheckGenre(request.Genre, errors);
        if (!IsVideoUrl(request.VideoUrl, required: true))
        {
            errors["videoUrl"] = ["videoUrl must be an https URL or a relative path."];
        }

        if (!IsVideoUrl(request.ThumbnailUrl, required: false))
        {
            errors["thumbnailUrl"] = ["thumbnailUrl must be an https URL or a relative path."];
        }

        if (request.DurationSeconds is not (> 0 and <= MaxDurationSeconds))
        {
            errors["durationSeconds"] = [$"durationSeconds must be greater than 0 and at most {MaxDurationSeconds}."];
        }

        return errors;
    }

    /// <summary>https://host/... or a relative path like /media/a.mp4 or media/a.mp4; no other scheme, no protocol-relative URL.</summary>
    private static bool IsVideoUrl(string? url, bool required)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return !required && url is null;
        }

        if (url.Length > 2048 || url.Any(char.IsWhiteSpace) || url.StartsWith("//", StringComparison.Ordinal))
        {
            return false;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && !url.StartsWith('/'))
        {
            return absolute.Scheme == Uri.UriSchemeHttps && !string.IsNullOrEmpty(absolute.Host);
        }

        return Uri.TryCreate(url, UriKind.Relative, out _) && !url.Contains(':', StringComparison.Ordinal);
    }
}
