namespace AiMoviez.Contracts;

/// <summary>Counts of one season slot, republished by the aggregator after each commit (subject <see cref="Subjects.Tally"/>).</summary>
public sealed record SlotTally
{
    public required Guid SeasonId { get; init; }
    public required int SlotPosition { get; init; }
    public required DateTimeOffset AsOf { get; init; }
    public required IReadOnlyList<ClipTally> Clips { get; init; }
}

public sealed record ClipTally(Guid ClipId, long Votes, long WeightedScore, long Views);
