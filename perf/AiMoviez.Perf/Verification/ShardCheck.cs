using AiMoviez.Contracts;
using AiMoviez.Perf.Load;

namespace AiMoviez.Perf.Verification;

/// <summary>What the shard says about a run's accepted votes; <see cref="Problems"/> is empty when exactly-once held.</summary>
public sealed record ShardVerdict
{
    /// <summary>The shard rows of the accepted votes, by voteId (a lost vote has none).</summary>
    public required IReadOnlyDictionary<Guid, ShardVote> Rows { get; init; }
    public required long Missing { get; init; }
    public required IReadOnlyList<ShardVote> Counted { get; init; }
    public required IReadOnlyList<ShardVote> Rejected { get; init; }
    public required IReadOnlyList<ShardVote> Revoked { get; init; }
    /// <summary>Votes counted in the slot since the baseline that are not this run's.</summary>
    public required long ForeignVotes { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// The exactly-once part of the verification, from the shard alone (no HTTP), so it can be checked against rows a test
/// wrote: every accepted vote has a row; every row is counted, rejected (with a reason) or revoked; none we revoked is
/// still counted; the slot's tallies equal its counted rows (a doubled or lost count shows here) and grew since the
/// baseline by at least this run's counted votes (anything beyond is someone else's, reported as a note).
/// </summary>
public static class ShardCheck
{
    public static async Task<ShardVerdict> CheckAsync(
        ShardReader shard, Guid seasonId, int slotPosition, TallyCounts baseline,
        IReadOnlyList<AcceptedVote> accepted, IReadOnlySet<Guid> revokedByUs, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var notes = new List<string>();
        var shardVotes = await shard.ReadVotesAsync(accepted.Select(v => v.VoteId).ToList(), cancellationToken);
        var missing = accepted.Count(v => !shardVotes.ContainsKey(v.VoteId));
        if (missing > 0)
        {
            problems.Add($"{missing} votes answered 202 are not in the shard's votes table (lost).");
        }

        var byStatus = shardVotes.Values.GroupBy(v => v.Status, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var counted = byStatus.GetValueOrDefault(VoteStatuses.Counted) ?? [];
        var rejected = byStatus.GetValueOrDefault(VoteStatuses.Rejected) ?? [];
        var revoked = byStatus.GetValueOrDefault(VoteStatuses.Revoked) ?? [];
        var unknownStatus = shardVotes.Count - counted.Count - rejected.Count - revoked.Count;
        if (unknownStatus > 0)
        {
            problems.Add($"{unknownStatus} shard votes have a status other than counted, rejected or revoked.");
        }

        var rejectedWithoutReason = rejected.Count(v => string.IsNullOrEmpty(v.Reason));
        if (rejectedWithoutReason > 0)
        {
            problems.Add($"{rejectedWithoutReason} rejected votes have no reason.");
        }

        var revokedButCounted = counted.Count(v => revokedByUs.Contains(v.VoteId));
        if (revokedButCounted > 0)
        {
            problems.Add($"{revokedButCounted} votes whose revoke was answered 202 are still counted.");
        }

        if (counted.Count != accepted.Count - rejected.Count - revoked.Count - missing)
        {
            problems.Add($"counted {counted.Count} != accepted {accepted.Count} - rejected {rejected.Count} - revoked {revoked.Count} - missing {missing}.");
        }

        // Exactly-once in the counts: the shard's tallies equal its own counted rows (a doubled or lost count shows
        // here), and grew by at least this run's counted votes; more is other clients' votes, reported.
        var (shardAfter, countedRows) = await shard.ReadTalliesWithCountedRowsAsync(seasonId, slotPosition, cancellationToken);
        problems.AddRange(shardAfter.DifferencesFrom(countedRows).Take(12).Select(d => "shard tallies vs its counted vote rows: " + d));
        var countedDelta = VoteVerifier.CountsOf(counted.Select(v => (v.ClipId, v.Weight)));
        var shardDelta = shardAfter.Minus(baseline);
        if (!shardDelta.Covers(countedDelta))
        {
            problems.AddRange(shardDelta.DifferencesFrom(countedDelta).Take(12).Select(d => "shard tally growth vs this run's counted votes: " + d));
        }

        var foreignVotes = shardDelta.TotalVotes - countedDelta.TotalVotes;
        if (foreignVotes != 0)
        {
            notes.Add($"{foreignVotes} votes not from this run were counted in the slot meanwhile (someone else voting); the tallies-vs-rows check covers them.");
        }

        return new ShardVerdict
        {
            Rows = shardVotes,
            Missing = missing,
            Counted = counted,
            Rejected = rejected,
            Revoked = revoked,
            ForeignVotes = foreignVotes,
            Problems = problems,
            Notes = notes,
        };
    }
}
