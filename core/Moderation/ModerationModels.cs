using AiMoviez.Core.Clips;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Seasons;

namespace AiMoviez.Core.Moderation;

internal sealed record BulkModerationRequest(string? Action, IReadOnlyList<Guid>? ClipIds);

internal sealed record BulkModerationResponse(string Action, IReadOnlyList<ClipResponse> Items);

/// <summary>Why a clip could not be moderated, or null when it was.</summary>
internal sealed record ModerationFailure(bool NotFound, string Detail);

/// <summary>An admin's edit of a clip's metadata: the fields given change, the others stay.</summary>
internal sealed record EditClipRequest(string? Title, string? Genre, string? ThumbnailUrl) : IValidatedRequest
{
    public static string InvalidDetail => "The clip's metadata is not valid.";

    // Explicit, so it is no member of the body's JSON or its OpenAPI schema.
    string? IValidatedRequest.WholeBodyProblem =>
        this is { Title: null, Genre: null, ThumbnailUrl: null } ? "Give at least one of title, genre, thumbnailUrl." : null;

    public void Validate(Dictionary<string, string[]> errors)
    {
        if (Title is not null)
        {
            ClipRules.CheckTitle(Title, errors);
        }

        if (Genre is not null)
        {
            SeasonRules.CheckGenre(Genre, errors);
        }

        ClipRules.CheckThumbnailUrl(ThumbnailUrl, errors);
    }
}
