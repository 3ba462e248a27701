namespace AiMoviez.Contracts;

/// <summary>What an edge needs of the catalog, served by core at <see cref="CatalogRoutes.Snapshot"/>.</summary>
public sealed record CatalogSnapshot
{
    private readonly IReadOnlyList<FinishedSeasonSnapshot> _finishedSeasons = [];

    /// <summary>Grows with every catalog change; edges keep the newest they have seen.</summary>
    public required long Version { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    public required FeatureFlagSet Flags { get; init; }
    /// <summary>Active seasons, newest activation first.</summary>
    public required IReadOnlyList<SeasonSnapshot> Seasons { get; init; }
    public required IReadOnlyList<string> BannedUserIds { get; init; }
    public required IReadOnlyList<string> BannedVoterKeys { get; init; }

    /// <summary>Seasons whose last slot locked within the last day, so edges can announce the final winner.</summary>
    public IReadOnlyList<FinishedSeasonSnapshot> FinishedSeasons
    {
        get => _finishedSeasons;
        init => _finishedSeasons = value ?? [];
    }
}

public sealed record FinishedSeasonSnapshot
{
    public required Guid Id { get; init; }
    public required LockedSlotSnapshot LastLockedSlot { get; init; }
}

public sealed record FeatureFlagSet
{
    public bool VotingEnabled { get; init; } = true;
    public bool MultiVoteEnabled { get; init; }
    public bool RequireAuthVoting { get; init; }
    public bool RequireCaptchaVoting { get; init; }
}

public sealed record SeasonSnapshot
{
    private readonly IReadOnlyList<Guid> _notVotableClipIds = [];

    public required Guid Id { get; init; }
    public required int Number { get; init; }
    public required string Label { get; init; }
    public required string Genre { get; init; }
    public required int TotalSlots { get; init; }
    public DateTimeOffset? ActivatedAt { get; init; }
    /// <summary>The slot that is voting or waiting for clips; null when none is.</summary>
    public SlotSnapshot? CurrentSlot { get; init; }
    /// <summary>The season's most recently locked slot and its winner; null before the first lock.</summary>
    public LockedSlotSnapshot? LastLockedSlot { get; init; }
    /// <summary>Clips active in <see cref="CurrentSlot"/>.</summary>
    public required IReadOnlyList<ClipSnapshot> Clips { get; init; }
    /// <summary>
    /// Ids of the season's other clips (pending, rejected, locked winners, anything not in <see cref="Clips"/>), so an
    /// edge can answer CLIP_NOT_VOTABLE instead of CLIP_NOT_FOUND. Empty when absent, as in payloads from older cores.
    /// </summary>
    public IReadOnlyList<Guid> NotVotableClipIds
    {
        get => _notVotableClipIds;
        // Source-generated JSON sets a member the payload lacks to null, initializer or not.
        init => _notVotableClipIds = value ?? [];
    }
}

public sealed record SlotSnapshot
{
    public required int Position { get; init; }
    /// <summary>voting or waiting_for_clips.</summary>
    public required string Status { get; init; }
    public DateTimeOffset? VotingEndsAt { get; init; }
}

public sealed record LockedSlotSnapshot
{
    public required int Position { get; init; }
    public required Guid WinnerClipId { get; init; }
}

public sealed record ClipSnapshot
{
    public required Guid Id { get; init; }
    public required Guid CreatorId { get; init; }
    public required string Title { get; init; }
    public required string Genre { get; init; }
    public required string VideoUrl { get; init; }
    public string? ThumbnailUrl { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ApprovedAt { get; init; }
}

/// <summary>
/// A clip the snapshot does not list (its season is not active), as core's <see cref="CatalogRoutes.Clip"/> finds it,
/// so an edge answers a vote on it CLIP_NOT_VOTABLE rather than CLIP_NOT_FOUND, and can still publish a late copy of a
/// vote on it (the season's number picks the copy's lane).
/// </summary>
public sealed record ClipPlacement
{
    public required Guid Id { get; init; }
    public required Guid SeasonId { get; init; }
    public required int SeasonNumber { get; init; }
    /// <summary>The season's status: draft, finished or archived (active when it was activated since the snapshot).</summary>
    public required string SeasonStatus { get; init; }
}

public static class CatalogRoutes
{
    public const string Snapshot = "/internal/catalog";

    /// <summary>A clip of any season by id: its <see cref="ClipPlacement"/>, or 404 when core has no such clip.</summary>
    public const string Clip = "/internal/clips/{id:guid}";

    public static string ClipOf(Guid id) => $"/internal/clips/{id}";
}

public static class SeasonStatuses
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Finished = "finished";
    public const string Archived = "archived";
}

public static class SlotStatuses
{
    public const string Upcoming = "upcoming";
    public const string Voting = "voting";
    public const string WaitingForClips = "waiting_for_clips";
    public const string Locked = "locked";
}

public static class FeatureFlagKeys
{
    public const string VotingEnabled = "voting_enabled";
    public const string MultiVoteEnabled = "multi_vote_enabled";
    public const string RequireAuthVoting = "require_auth_voting";
    public const string RequireCaptchaVoting = "require_captcha_voting";

    public static readonly IReadOnlyList<string> All = [VotingEnabled, MultiVoteEnabled, RequireAuthVoting, RequireCaptchaVoting];
}
