using AiMoviez.Edge.Votes;

namespace AiMoviez.Edge.Ballot;

internal sealed record BallotResponse(
    Guid SeasonId,
    string SeasonLabel,
    int SlotPosition,
    int TotalSlots,
    DateTimeOffset? VotingEndsAt,
    IReadOnlyList<BallotClip> Clips,
    IReadOnlyList<Guid> VotedClipIds,
    int TotalVotesToday,
    RemainingVotes RemainingVotes,
    int TotalClipsInSlot,
    bool HasMoreClips);

internal sealed record BallotClip(
    Guid ClipId,
    string Title,
    Guid CreatorId,
    string Genre,
    string VideoUrl,
    string? ThumbnailUrl,
    long Votes,
    long WeightedScore);
