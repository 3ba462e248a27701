using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Verification;

public readonly record struct ClipCount(long Votes, long Weighted);

/// <summary>Votes and weighted score per clip of one slot; missing clips count zero.</summary>
public sealed class TallyCounts
{
    private readonly Dictionary<Guid, ClipCount> _clips;

    public TallyCounts(IEnumerable<KeyValuePair<Guid, ClipCount>> clips) => _clips = new Dictionary<Guid, ClipCount>(clips);

    public static TallyCounts Empty { get; } = new([]);

    public static TallyCounts From(TallyBody tally) =>
        new(tally.Clips.Select(c => KeyValuePair.Create(c.ClipId, new ClipCount(c.Votes, c.WeightedScore))));

    public long TotalVotes => _clips.Values.Sum(c => c.Votes);

    public ClipCount this[Guid clip] => _clips.GetValueOrDefault(clip);

    public TallyCounts Minus(TallyCounts other) =>
        new(_clips.Keys.Union(other._clips.Keys).Select(clip => KeyValuePair.Create(clip,
            new ClipCount(this[clip].Votes - other[clip].Votes, this[clip].Weighted - other[clip].Weighted))));

    /// <summary>Clips whose counts differ, as human-readable lines (empty when equal).</summary>
    public IReadOnlyList<string> DifferencesFrom(TallyCounts expected) =>
        _clips.Keys.Union(expected._clips.Keys)
            .Where(clip => this[clip] != expected[clip])
            .Select(clip => $"clip {clip}: votes {this[clip].Votes} (expected {expected[clip].Votes}), weighted {this[clip].Weighted} (expected {expected[clip].Weighted})")
            .ToList();

    /// <summary>True when every clip has at least the other's counts (other votes may have come in too).</summary>
    public bool Covers(TallyCounts other) =>
        other._clips.All(c => this[c.Key].Votes >= c.Value.Votes && this[c.Key].Weighted >= c.Value.Weighted);

    public bool SameAs(TallyCounts other) => DifferencesFrom(other).Count == 0;
}
