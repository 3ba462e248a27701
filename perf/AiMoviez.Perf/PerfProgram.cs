using System.Globalization;
using AiMoviez.Contracts;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Scenarios;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf;

/// <summary>Runs the chosen scenario(s), writes the report, and exits non-zero when any vote was lost or doubled.</summary>
public static class PerfProgram
{
    /// <summary>What `bench` runs the sustained scenario at: a rate this 2-core machine holds with the whole stack on it.</summary>
    public const double BenchRate = 800;
    public const double BenchSeconds = 45;
    private const double BenchBaselineSeconds = 20;
    private const double BenchHealthzSeconds = 10;
    private static readonly TimeSpan RunTimeLimit = TimeSpan.FromHours(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var repoRoot = RepoRoot();
        PerfOptions options;
        try
        {
            options = CommandLine.Parse(args, repoRoot);
        }
        catch (UsageException exception)
        {
            Console.Error.WriteLine(exception.Message);
            Console.Error.WriteLine(CommandLine.Usage);
            return 2;
        }

        // A response is handled on the socket thread that read it, not handed to a pool worker woken for it: waking
        // workers was much of the tool's own CPU (perf/RESULTS.md). The runtime reads this at the first socket.
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        // One pool worker per core: nothing in the tool blocks a worker, so more of them only meant more of them woken
        // for a response or a tick while the others were busy, and those wake-ups were much of the tool's CPU per vote
        // (perf/RESULTS.md).
        ThreadPool.GetMaxThreads(out _, out var completionPortThreads);
        ThreadPool.SetMaxThreads(Environment.ProcessorCount, completionPortThreads);
        using var cancellation = new CancellationTokenSource(RunTimeLimit);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var startedAt = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Current();
        var runTag = Guid.NewGuid().ToString("N")[..8];
        var adminToken = await StackTokens.AdminAsync(options, cancellation.Token);
        var creatorToken = options.SeasonId is null ? await StackTokens.CreatorAsync(options, cancellation.Token) : null;
        using var seasonHttp = LoopbackHttp.Create(8, TimeSpan.FromSeconds(30));
        var runSeason = new RunSeason(seasonHttp, StackAddresses.FromTopology(TopologyFile.Load(options.TopologyPath), options.Regions),
            options, runTag, adminToken, creatorToken);
        var results = new List<ScenarioResult>();
        if (options.Captcha)
        {
            Console.WriteLine("[captcha] require_captcha_voting on for the run; every vote carries a dev-pass token");
            await runSeason.SetCaptchaRequiredAsync(true, cancellation.Token);
        }

        foreach (var (name, scenarioOptions, run) in Steps(options))
        {
            if (cancellation.IsCancellationRequested)
            {
                // Ctrl+C or the run's time limit: the scenarios that finished still get their report.
                break;
            }

            Console.WriteLine($"=== {name}");
            try
            {
                using var context = new ScenarioContext(scenarioOptions, runTag, adminToken, runSeason);
                results.Add(await run(context, cancellation.Token));
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine($"[{name}] failed: {exception.GetType().Name}: {exception.Message}");
                results.Add(new ScenarioResult
                {
                    Name = name,
                    StartedAt = DateTimeOffset.UtcNow,
                    Seconds = 0,
                    Settings = new Dictionary<string, string>(),
                    Metrics = new Dictionary<string, double>(),
                    Error = $"{exception.GetType().Name}: {exception.Message}",
                });
            }
        }

        if (options.Captcha)
        {
            await runSeason.SetCaptchaRequiredAsync(false, CancellationToken.None);
        }

        // The run's own season goes whether the run passed or not: left active it would become the stack's default
        // season for every user. A failed run's votes stay in the shard under the season id printed here.
        if (await runSeason.DeleteCreatedAsync(CancellationToken.None) is { } deleted)
        {
            Console.WriteLine($"[season] {deleted}");
        }

        var report = new RunReport
        {
            RunId = runTag,
            StartedAt = startedAt,
            Command = "AiMoviez.Perf " + string.Join(' ', args.Select((arg, i) => i > 0 && args[i - 1] is "--admin-token" or "--creator-token" ? "<redacted>" : arg)),
            Machine = machine,
            Scenarios = results,
            Ratios = RatioCalculator.From(results),
        };
        var directory = await ReportWriter.WriteAsync(report, options.OutDirectory, CancellationToken.None);
        ConsoleReport.Print(report, directory);
        return report.Passed ? 0 : 1;
    }

    private static IEnumerable<(string Name, PerfOptions Options, Func<ScenarioContext, CancellationToken, Task<ScenarioResult>> Run)> Steps(PerfOptions options)
    {
        switch (options.Scenario)
        {
            case "bench":
                // Sustained at a rate the whole stack holds on 2 cores; baseline and limits at their own short
                // durations, with the sustained run's voters so the baseline sees the same population.
                var sustained = options with { Rate = options.RateOr(BenchRate), DurationSeconds = options.DurationSeconds ?? BenchSeconds };
                var voters = options.Voters ?? Load.Voter.EnoughFor((long)(sustained.Rate!.Value * sustained.DurationSeconds!.Value), options.HotShare);
                yield return ("sustained", sustained, (c, t) => new SustainedScenario(c).RunAsync(t));
                yield return ("baseline", options with { DurationSeconds = null, Voters = voters }, (c, t) => new BaselineScenario(c, BenchBaselineSeconds).RunAsync(t));
                yield return ("limits", options with { DurationSeconds = null }, (c, t) => new LimitsScenario(c, BenchHealthzSeconds).RunAsync(t));
                break;
            case "sustained":
                yield return ("sustained", options, (c, t) => new SustainedScenario(c).RunAsync(t));
                break;
            case "burst":
                yield return ("burst", options, (c, t) => new BurstScenario(c).RunAsync(t));
                break;
            case "mixed":
                yield return ("mixed", options, (c, t) => new MixedScenario(c).RunAsync(t));
                break;
            case "baseline":
                yield return ("baseline", options, (c, t) => new BaselineScenario(c).RunAsync(t));
                break;
            case "limits":
                yield return ("limits", options, (c, t) => new LimitsScenario(c).RunAsync(t));
                break;
            default:
                throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"Unknown scenario '{options.Scenario}'."));
        }
    }

    private static string RepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AiMoviez.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("AiMoviez.sln not found above the current directory; run from the repository.");
    }
}
