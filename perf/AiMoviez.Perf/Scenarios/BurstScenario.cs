using System.Globalization;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;

namespace AiMoviez.Perf.Scenarios;

/// <summary>
/// A slot-close rush: a fixed number of votes from a fixed number of voters, as fast as the stack takes them
/// (closed model: each worker sends its next vote when the last one was answered), then the drain.
/// </summary>
public sealed class BurstScenario(ScenarioContext context)
{
    private const int DefaultVotes = 1_000_000;
    private const int DefaultVoters = 250_000;
    private const double DefaultMaxSeconds = 600;

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = context.Options;
        var votes = options.Votes ?? DefaultVotes;
        var voters = options.Voters ?? DefaultVoters;
        var closed = new ClosedLoopSettings
        {
            Workers = context.Concurrency,
            MaxOperations = votes,
            MaxDuration = options.DurationOr(DefaultMaxSeconds),
        };
        var settings = new Dictionary<string, string>
        {
            ["votes"] = votes.ToString(CultureInfo.InvariantCulture),
            ["voters"] = voters.ToString(CultureInfo.InvariantCulture),
            ["workers"] = closed.Workers.ToString(CultureInfo.InvariantCulture),
            ["maxSeconds"] = closed.MaxDuration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["hotShare"] = options.HotShare.ToString(CultureInfo.InvariantCulture),
            ["edges"] = string.Join(",", context.Stack.Edges.Select(e => e.Region)),
            ["model"] = "closed (as fast as answered)",
        };

        return await new VoteLoadRun(context).RunAsync("burst", votes, voters, closed.MaxDuration, settings,
            (session, token) => ClosedLoopDriver.RunAsync(closed, session.CastNextAsync, token), cancellationToken);
    }
}
