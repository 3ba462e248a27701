namespace AiMoviez.Core.Slots;

/// <summary>An active clip of the closing slot with its counts (0 when it has no tally row).</summary>
internal sealed record Candidate(Guid ClipId, DateTime ApprovedAt, long Votes, long WeightedScore);

internal static class WinnerChoice
{
    /// <summary>Highest weighted score; ties: more votes, then earlier approval, then lower id (uuid byte order, as PostgreSQL sorts).</summary>
    public static Candidate Choose(IReadOnlyList<Candidate> candidates) => candidates
        .OrderByDescending(c => c.WeightedScore)
        .ThenByDescending(c => c.Votes)
        .ThenBy(c => c.ApprovedAt)
        .ThenBy(c => c.ClipId.ToString("D"), StringComparer.Ordinal)
        .First();
}
