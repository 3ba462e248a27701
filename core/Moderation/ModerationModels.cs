using AiMoviez.Core.Clips;

namespace AiMoviez.Core.Moderation;

internal sealed record BulkModerationRequest(string? Action, IReadOnlyList<Guid>? ClipIds);

internal sealed record BulkModerationResponse(string Action, IReadOnlyList<ClipResponse> Items);

/// <summary>Why a clip could not be moderated, or null when it was.</summary>
internal sealed record ModerationFailure(bool NotFound, string Detail);

/// <summary>An admin's edit of a clip's metadata: the fields given change, the others stay.</summary>
internal sealed record EditClipRequest(string? Title, string? Genre, string? ThumbnailUrl);
