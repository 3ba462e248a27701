using AiMoviez.Contracts;

namespace AiMoviez.Edge.Ballot;

/// <summary>How clips are weighed for a ballot (see <see cref="Infrastructure.EdgeOptions"/>).</summary>
internal sealed record BallotFairness(double JitterViews, TimeSpan FreshFor, double FreshViewFactor);

/// <summary>
/// Fair ballot order: clips the voter has not voted on first, then fewest views (fresh clips count their views
/// at a discount, and random jitter shuffles near-equals so no clip is always shown first).
/// </summary>
internal static class BallotOrdering
{
    public static IReadOnlyList<ClipSnapshot> Order(
        IEnumerable<ClipSnapshot> clips,
        Func<Guid, long> views,
        IReadOnlySet<Guid> voted,
        IReadOnlySet<Guid> excluded,
        DateTimeOffset now,
        BallotFairness fairness,
        Random random) =>
        [.. clips
            .Where(c => !excluded.Contains(c.Id))
            .Select(c => (Clip: c, Voted: voted.Contains(c.Id), Weight: Weigh(c, views(c.Id), now, fairness, random)))
            .OrderBy(c => c.Voted)
            .ThenBy(c => c.Weight)
            .Select(c => c.Clip)];

    private static double Weigh(ClipSnapshot clip, long views, DateTimeOffset now, BallotFairness fairness, Random random)
    {
        var fresh = now - (clip.ApprovedAt ?? clip.CreatedAt) < fairness.FreshFor;
        return views * (fresh ? fairness.FreshViewFactor : 1.0) + random.NextDouble() * fairness.JitterViews;
    }
}
