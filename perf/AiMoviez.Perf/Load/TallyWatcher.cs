using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Load;

/// <summary>
/// Reads the public tallies once a second during the load and records how stale they are (now minus their
/// <c>asOf</c>) and how many accepted votes they do not show yet.
/// </summary>
public sealed class TallyWatcher(PublicApiClient api, IReadOnlyList<EdgeEndpoint> edges, Guid seasonId, long votesBefore, VoteLedger ledger, LoadRecorder recorder)
{
    public async Task RunAsync(TimeSpan maxDuration, CancellationToken cancellationToken)
    {
        var maxTicks = (int)maxDuration.TotalSeconds + 1;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            for (var tick = 0; tick < maxTicks && await timer.WaitForNextTickAsync(cancellationToken); tick++)
            {
                var expected = votesBefore + ledger.ExpectedCountedVotes;
                var (_, tally) = await api.TalliesAsync(edges[tick % edges.Count], seasonId, cancellationToken);
                if (tally is not null)
                {
                    var staleness = (DateTimeOffset.UtcNow - tally.AsOf).TotalMilliseconds;
                    recorder.RecordTallySample(Math.Round(Math.Max(0, staleness), 1), expected - tally.Clips.Sum(c => c.Votes));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The load finished.
        }
    }
}
