using AiMoviez.Core.Clips;

namespace AiMoviez.Core.Moderation;

public sealed record BulkModerationRequest(string? Action, IReadOnlyList<Guid>? ClipIds);

public sealed record BulkModerationResponse(string Action, IReadOnlyList<ClipResponse> Items);

/// <summary>Why a clip could not be moderated, or null when it was.</summary>
public sealed record ModerationFailure(bool NotFound, string Detail);
