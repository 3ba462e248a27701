using System.Collections.Concurrent;
using System.Diagnostics;
using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Verification;

public sealed record ReceiptCheck(int Checked, IReadOnlyDictionary<Guid, ReceiptBody> Final, IReadOnlyDictionary<string, long> Unanswered);

/// <summary>
/// Polls GET /v1/votes/{voteId} on the edge that accepted each vote (receipts live in its region) until none says
/// <c>accepted</c> any more. Bounded: a fixed number of rounds, a deadline and a fixed number of calls in flight.
/// </summary>
public sealed class ReceiptChecker(PublicApiClient api, IReadOnlyList<EdgeEndpoint> edges)
{
    private const int MaxRounds = 30;
    private const int Parallelism = 32;

    public async Task<ReceiptCheck> CheckAsync(IReadOnlyList<AcceptedVote> votes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var edgeByRegion = edges.GroupBy(e => e.Region, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var final = new ConcurrentDictionary<Guid, ReceiptBody>();
        var unanswered = new ConcurrentDictionary<Guid, string>();
        IReadOnlyList<AcceptedVote> pending = votes;
        for (var round = 0; round < MaxRounds && pending.Count > 0 && Stopwatch.GetElapsedTime(started) < timeout; round++)
        {
            if (round > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            var stillPending = new ConcurrentBag<AcceptedVote>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (vote, token) =>
                {
                    var edge = edgeByRegion.GetValueOrDefault(vote.Region) ?? edges[vote.VoterIndex % edges.Count];
                    var (call, receipt) = await api.ReceiptAsync(edge, vote.VoteId, token);
                    if (receipt is not null && receipt.Status != VoteStatuses.Accepted)
                    {
                        final[vote.VoteId] = receipt;
                        unanswered.TryRemove(vote.VoteId, out _);
                        return;
                    }

                    unanswered[vote.VoteId] = receipt is null ? call.Outcome : VoteStatuses.Accepted;
                    stillPending.Add(vote);
                });
            pending = [.. stillPending];
        }

        var unansweredByOutcome = unanswered.Values.GroupBy(v => v, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        return new ReceiptCheck(votes.Count, final, unansweredByOutcome);
    }
}
