using System.Globalization;
using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// What a live slot looks like: mostly people browsing ballots and watching counts, some voting, a few changing their
/// mind, and viewers holding the live tally stream open. Open model at a total operation rate.
/// </summary>
public sealed class MixedScenario(ScenarioContext context)
{
    // Per operation: 45 % ballot reads, 25 % tally reads, 25 % votes, 5 % revokes (of earlier votes of this run).
    private const double BallotShare = 0.45;
    private const double TallyShare = 0.25;
    private const double VoteShare = 0.25;
    private const int SseSubscriberCount = 50;
    private const string BallotOperation = "ballot";
    private const string TallyOperation = "tally";
    private const string RevokeOperation = "revoke";

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = context.Options;
        var rate = options.RateOr(2_000);
        var duration = options.DurationOr(60);
        var votes = (long)(rate * duration.TotalSeconds * VoteShare) + 1;
        var voters = options.Voters ?? Voter.EnoughFor(votes, options.HotShare);
        var open = new OpenLoopSettings { RatePerSecond = rate, Duration = duration, MaxInFlight = context.Concurrency };
        var settings = new Dictionary<string, string>
        {
            ["rate"] = rate.ToString(CultureInfo.InvariantCulture),
            ["durationSeconds"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["voters"] = voters.ToString(CultureInfo.InvariantCulture),
            ["mix"] = "ballot 45%, tally 25%, vote 25%, revoke 5%",
            ["sseSubscribers"] = SseSubscriberCount.ToString(CultureInfo.InvariantCulture),
            ["hotShare"] = options.HotShare.ToString(CultureInfo.InvariantCulture),
            ["model"] = "open (latency from intended send time)",
        };

        SseSummary? sse = null;
        var result = await new VoteLoadRun(context).RunAsync("mixed", votes, voters, duration, settings, async (session, token) =>
        {
            var subscribers = new SseSubscribers([.. session.Edges], session.Season.SeasonId, SseSubscriberCount).RunAsync(duration, token);
            var driven = await OpenLoopDriver.RunAsync(open, (intended, ct) => OneOperationAsync(session, intended, ct), session.NeverSent, token);
            sse = await subscribers;
            return driven;
        }, cancellationToken);

        var metrics = new Dictionary<string, double>(result.Metrics) { [MetricNames.TargetRate] = rate };
        if (sse is not null)
        {
            metrics["sseConnected"] = sse.Connected;
            metrics["sseTallyEvents"] = sse.TallyEvents;
            metrics["sseMeanLagMs"] = sse.MeanLagMs;
            metrics["sseMaxLagMs"] = sse.MaxLagMs;
        }

        return result with { Metrics = metrics };
    }

    private static async Task<bool> OneOperationAsync(VoteLoadSession session, long intended, CancellationToken cancellationToken)
    {
        var api = session.Context.Api;
        var draw = Random.Shared.NextDouble();
        var voter = session.Context.VoterAt(Random.Shared.Next(session.Plan.Voters));
        var edge = session.Edges[voter.HomeEdge(session.Edges.Count)];
        if (draw < BallotShare)
        {
            var call = await api.BallotAsync(edge, voter, session.Season.SeasonId, cancellationToken);
            session.Recorder.Record(BallotOperation, intended, call.Outcome, call.Succeeded);
        }
        else if (draw < BallotShare + TallyShare)
        {
            var (call, _) = await api.TalliesAsync(edge, session.Season.SeasonId, cancellationToken, voter);
            session.Recorder.Record(TallyOperation, intended, call.Outcome, call.Succeeded);
        }
        else if (draw < BallotShare + TallyShare + VoteShare || session.Ledger.PickRevocable(Random.Shared) is not { } revocable)
        {
            // A revoke with nothing yet to revoke becomes a vote, so the mix stays busy from the first second.
            await session.CastNextAsync(intended, cancellationToken);
        }
        else
        {
            var owner = session.Context.VoterAt(revocable.VoterIndex);
            var call = await api.RevokeAsync(session.Edges[owner.HomeEdge(session.Edges.Count)], owner, revocable.ClipId, cancellationToken);
            session.Recorder.Record(RevokeOperation, intended, call.Outcome, call.Succeeded);
            if (!call.Succeeded)
            {
                session.Ledger.RevokeFailed(revocable.VoteId);
            }
        }

        // The mix never runs dry: when the vote plan is used up, the other operations go on.
        return true;
    }
}
