using System.Globalization;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// Open-model votes at a fixed rate over the edges, distinct voters, power law over the clips. Latency is measured
/// from each vote's intended send time, so if the stack stalls the stall shows up in the percentiles.
/// </summary>
public sealed class SustainedScenario(ScenarioContext context)
{
    private const double DefaultRate = 10_000;
    private const double DefaultSeconds = 60;

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = context.Options;
        var rate = options.RateOr(DefaultRate);
        var duration = options.DurationOr(DefaultSeconds);
        var votes = (long)(rate * duration.TotalSeconds);
        var voters = options.Voters ?? Voter.EnoughFor(votes, options.HotShare);
        var open = new OpenLoopSettings { RatePerSecond = rate, Duration = duration, MaxInFlight = context.Concurrency };
        var settings = new Dictionary<string, string>
        {
            ["rate"] = rate.ToString(CultureInfo.InvariantCulture),
            ["durationSeconds"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["voters"] = voters.ToString(CultureInfo.InvariantCulture),
            ["maxInFlight"] = open.MaxInFlight.ToString(CultureInfo.InvariantCulture),
            ["hotShare"] = options.HotShare.ToString(CultureInfo.InvariantCulture),
            ["edges"] = string.Join(",", context.Stack.Edges.Select(e => e.Region)),
            ["model"] = "open (latency from intended send time)",
        };

        var result = await new VoteLoadRun(context).RunAsync("sustained", votes, voters, duration, settings,
            (session, token) => OpenLoopDriver.RunAsync(open, session.CastNextAsync, session.NeverSent, token), cancellationToken);
        var metrics = new Dictionary<string, double>(result.Metrics) { [MetricNames.TargetRate] = rate };
        return result with { Metrics = metrics };
    }
}
