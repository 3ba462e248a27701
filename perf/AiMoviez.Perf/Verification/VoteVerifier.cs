using System.Diagnostics;
using System.Globalization;
using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Verification;

public sealed record VerificationResult
{
    public required bool Passed { get; init; }
    public required long Accepted { get; init; }
    public required long Counted { get; init; }
    public required long Rejected { get; init; }
    public required long Revoked { get; init; }
    public required long RevokesAnswered202 { get; init; }
    public required long MissingInShard { get; init; }
    public required long DuplicateVoteIds { get; init; }
    /// <summary>Votes counted in the slot during the run that are not this run's (someone else voting meanwhile).</summary>
    public required long ForeignVotes { get; init; }
    public required IReadOnlyDictionary<string, long> RejectReasons { get; init; }
    public required int ReceiptsChecked { get; init; }
    public required int ReceiptsFinal { get; init; }
    public required int ReceiptMismatches { get; init; }
    public required IReadOnlyDictionary<string, long> ReceiptsUnanswered { get; init; }
    /// <summary>From the last 202 until the public tallies showed every accepted vote and equalled the shard's; null when never.</summary>
    public double? DrainSeconds { get; init; }
    /// <summary>From the last 202 until the shard's tally table had every accepted vote.</summary>
    public double? ShardDrainSeconds { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}

/// <summary>What the tallies were before the load, once the pipeline had settled.</summary>
public sealed record VerificationBaseline(TallyCounts Shard, IReadOnlyList<string> Notes);

/// <summary>When the shard's and the public tallies held every accepted vote (timestamps); null when never.</summary>
public sealed record VoteDrain(long? PublicExactAt, long? ShardExactAt);

/// <summary>
/// Checks exactly-once after a vote scenario, through the public API and the shard (read-only):
/// every 202 ends counted, rejected (with a reason) or revoked; the shard's tallies equal its counted vote rows and
/// grew by at least this run's counted votes (anything beyond is someone else's votes, reported); the public tallies
/// converge to the shard's; and how long that took from the last 202 (the drain).
/// </summary>
public sealed class VoteVerifier(PublicApiClient api, IReadOnlyList<EdgeEndpoint> edges, SeasonTarget season, ShardReader shard, PerfOptions options)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(15);

    public async Task<VerificationBaseline> PrepareAsync(CancellationToken cancellationToken)
    {
        // Leftovers of an earlier run may still be draining: wait until the shard stops changing and the public
        // tallies show it, so this run's delta is measured from a settled state.
        var started = Stopwatch.GetTimestamp();
        var previous = await shard.ReadTalliesAsync(season.SeasonId, season.SlotPosition, cancellationToken);
        while (Stopwatch.GetElapsedTime(started) < SettleTimeout)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var current = await shard.ReadTalliesAsync(season.SeasonId, season.SlotPosition, cancellationToken);
            var publicCounts = await PublicCountsAsync(edges[0], cancellationToken);
            if (current.SameAs(previous) && publicCounts is not null && publicCounts.SameAs(current))
            {
                return new VerificationBaseline(current, []);
            }

            previous = current;
        }

        return new VerificationBaseline(previous,
            [$"The tallies had not settled after {SettleTimeout.TotalSeconds:0} s before the load (an earlier run still draining, or public tallies lag); the checks may include its votes."]);
    }

    /// <summary>
    /// Waits until the public tallies show every accepted vote and equal the shard's, polling the tallies only, so that
    /// the load's own work can be measured before <see cref="VerifyAsync"/> reads every vote back.
    /// </summary>
    public Task<VoteDrain> WaitForDrainAsync(VerificationBaseline baseline, VoteLedger ledger, CancellationToken cancellationToken)
    {
        var (accepted, revokedByUs) = ledger.Snapshot();
        var expectedDelta = CountsOf(accepted.Where(v => !revokedByUs.Contains(v.VoteId)).Select(v => (v.ClipId, v.Weight)));
        return WaitForDrainAsync(baseline.Shard, expectedDelta, ledger.LastAcceptedTimestamp, cancellationToken);
    }

    public async Task<VerificationResult> VerifyAsync(VerificationBaseline baseline, VoteLedger ledger, VoteDrain drain, CancellationToken cancellationToken)
    {
        var (accepted, revokedByUs) = ledger.Snapshot();
        var problems = new List<string>();
        var notes = new List<string>(baseline.Notes);
        if (ledger.DuplicateVoteIds > 0)
        {
            problems.Add($"{ledger.DuplicateVoteIds} 202 answers reused a voteId of another request.");
        }

        if (accepted.Count == 0)
        {
            problems.Add("No vote was answered 202; there is nothing the stack could have counted.");
        }

        Console.WriteLine(drain.PublicExactAt is { } exactAt
            ? $"[verify] public tallies exact {Stopwatch.GetElapsedTime(ledger.LastAcceptedTimestamp, exactAt).TotalSeconds:0.000} s after the last 202; reading {accepted.Count:N0} votes from the shard..."
            : $"[verify] public tallies not exact; reading {accepted.Count:N0} votes from the shard...");
        var verdict = await ShardCheck.CheckAsync(shard, season.SeasonId, season.SlotPosition, baseline.Shard, accepted, revokedByUs, cancellationToken);
        problems.AddRange(verdict.Problems);
        notes.AddRange(verdict.Notes);
        var (shardVotes, counted, rejected, revoked) = (verdict.Rows, verdict.Counted, verdict.Rejected, verdict.Revoked);

        foreach (var edge in edges)
        {
            if (!await PublicEqualsShardAsync(edge, cancellationToken))
            {
                problems.Add($"public tallies at {edge.Region} do not equal the shard's tallies after the drain.");
            }
        }

        if (drain.PublicExactAt is null && rejected.Count + revoked.Count > 0)
        {
            notes.Add("The tallies never showed accepted-minus-our-revokes because the aggregator rejected or revoked some; the counts match the shard's decisions.");
        }
        else if (drain.PublicExactAt is null)
        {
            problems.Add($"public tallies did not show every accepted vote within {options.DrainTimeoutSeconds:0} s of the last 202.");
        }

        Console.WriteLine($"[verify] polling {Math.Min(accepted.Count, options.ReceiptSample):N0} receipts until final...");
        var receipts = await CheckReceiptsAsync(accepted, cancellationToken);
        var mismatches = receipts.Final.Values.Count(r => shardVotes.TryGetValue(r.VoteId, out var row) && row.Status != r.Status);
        if (mismatches > 0)
        {
            problems.Add($"{mismatches} receipts disagree with the shard's status.");
        }

        var rejectedReceiptsWithoutReason = receipts.Final.Values.Count(r => r.Status == VoteStatuses.Rejected && string.IsNullOrEmpty(r.Reason));
        if (rejectedReceiptsWithoutReason > 0)
        {
            problems.Add($"{rejectedReceiptsWithoutReason} rejected receipts have no reason.");
        }

        var notFinal = receipts.Unanswered.Values.Sum();
        if (notFinal > 0)
        {
            problems.Add($"{notFinal} of {receipts.Checked} sampled receipts never left 'accepted' or could not be read: "
                + string.Join(", ", receipts.Unanswered.Select(u => $"{u.Key} x{u.Value}")));
        }

        if (receipts.Checked < accepted.Count)
        {
            notes.Add($"Receipts checked for a random sample of {receipts.Checked} of {accepted.Count} votes; the shard check covers all.");
        }

        return new VerificationResult
        {
            Passed = problems.Count == 0,
            Accepted = accepted.Count,
            Counted = counted.Count,
            Rejected = rejected.Count,
            Revoked = revoked.Count,
            RevokesAnswered202 = revokedByUs.Count,
            MissingInShard = verdict.Missing,
            DuplicateVoteIds = ledger.DuplicateVoteIds,
            ForeignVotes = verdict.ForeignVotes,
            RejectReasons = rejected.GroupBy(v => v.Reason ?? "(none)", StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal),
            ReceiptsChecked = receipts.Checked,
            ReceiptsFinal = receipts.Final.Count,
            ReceiptMismatches = mismatches,
            ReceiptsUnanswered = receipts.Unanswered,
            DrainSeconds = SecondsAfter(ledger.LastAcceptedTimestamp, drain.PublicExactAt),
            ShardDrainSeconds = SecondsAfter(ledger.LastAcceptedTimestamp, drain.ShardExactAt),
            Problems = problems,
            Notes = notes,
        };
    }

    private async Task<VoteDrain> WaitForDrainAsync(
        TallyCounts before, TallyCounts expectedDelta, long lastAccepted, CancellationToken cancellationToken)
    {
        if (lastAccepted == 0)
        {
            return new VoteDrain(null, null);
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(options.DrainTimeoutSeconds * Stopwatch.Frequency);
        long? publicExactAt = null;
        long? shardExactAt = null;
        var lastShard = TallyCounts.Empty;
        var lastShardChange = Math.Max(lastAccepted, Stopwatch.GetTimestamp());
        while (Stopwatch.GetTimestamp() < deadline && publicExactAt is null)
        {
            var current = await shard.ReadTalliesAsync(season.SeasonId, season.SlotPosition, cancellationToken);
            var covered = current.Minus(before).Covers(expectedDelta);
            if (covered)
            {
                shardExactAt ??= Stopwatch.GetTimestamp();
                if (await PublicCountsAsync(edges[0], cancellationToken) is { } publicCounts && publicCounts.SameAs(current))
                {
                    publicExactAt = Stopwatch.GetTimestamp();
                }
            }
            else if (!current.SameAs(lastShard))
            {
                lastShard = current;
                lastShardChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastShardChange) > StallLimit)
            {
                // The shard stopped moving short of this run's votes (rejections, or lost votes): the checks that
                // follow say which; waiting longer would not change it.
                break;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return new VoteDrain(publicExactAt, shardExactAt);
    }

    /// <summary>Public tallies may lag the shard by a republish or two: equal within a few seconds counts as converged.</summary>
    private async Task<bool> PublicEqualsShardAsync(EdgeEndpoint edge, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var current = await shard.ReadTalliesAsync(season.SeasonId, season.SlotPosition, cancellationToken);
            if (await PublicCountsAsync(edge, cancellationToken) is { } publicCounts && publicCounts.SameAs(current))
            {
                return true;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return false;
    }

    private async Task<ReceiptCheck> CheckReceiptsAsync(IReadOnlyList<AcceptedVote> accepted, CancellationToken cancellationToken)
    {
        var sample = accepted.Count <= options.ReceiptSample
            ? accepted
            : accepted.OrderBy(_ => Random.Shared.Next()).Take(options.ReceiptSample).ToList();
        return await new ReceiptChecker(api, edges).CheckAsync(sample, TimeSpan.FromSeconds(60), cancellationToken);
    }

    private async Task<TallyCounts?> PublicCountsAsync(EdgeEndpoint edge, CancellationToken cancellationToken)
    {
        var (_, tally) = await api.TalliesAsync(edge, season.SeasonId, cancellationToken);
        return tally is not null && tally.SlotPosition == season.SlotPosition ? TallyCounts.From(tally) : null;
    }

    internal static TallyCounts CountsOf(IEnumerable<(Guid ClipId, int Weight)> votes) =>
        new(votes.GroupBy(v => v.ClipId).Select(g => KeyValuePair.Create(g.Key, new ClipCount(g.Count(), g.Sum(v => (long)v.Weight)))));

    private static double? SecondsAfter(long from, long? to) =>
        to is { } t ? Math.Round(Math.Max(0, Stopwatch.GetElapsedTime(from, t).TotalSeconds), 3) : null;

    public static string Describe(VerificationResult result) => string.Create(CultureInfo.InvariantCulture,
        $"{(result.Passed ? "PASSED" : "FAILED")}: accepted {result.Accepted}, counted {result.Counted}, rejected {result.Rejected}, revoked {result.Revoked}, missing {result.MissingInShard}; drain {result.DrainSeconds?.ToString("0.000", CultureInfo.InvariantCulture) ?? "never"} s (shard {result.ShardDrainSeconds?.ToString("0.000", CultureInfo.InvariantCulture) ?? "never"} s)");
}
