namespace AiMoviez.Edge.Tallies;

public sealed record TalliesResponse(
    Guid SeasonId,
    int SlotPosition,
    DateTimeOffset? VotingEndsAt,
    DateTimeOffset AsOf,
    bool Approximate,
    IReadOnlyList<ClipCount> Clips);

public sealed record ClipCount(Guid ClipId, long Votes, long WeightedScore);

/// <summary>The SSE <c>slot</c> event: the season's voting slot changed.</summary>
public sealed record SlotChanged(Guid SeasonId, int? SlotPosition, string? Status, DateTimeOffset? VotingEndsAt);
