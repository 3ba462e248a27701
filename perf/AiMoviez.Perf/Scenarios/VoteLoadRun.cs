using System.Globalization;
using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;
using AiMoviez.Perf.Verification;

namespace AiMoviez.Perf.Scenarios;

/// <summary>The pieces a vote scenario's load loop uses, and the one thing they all do: cast the next planned vote.</summary>
public sealed class VoteLoadSession(ScenarioContext context, SeasonTarget season, VotePlan plan, LoadRecorder recorder, VoteLedger ledger)
{
    public const string VoteOperation = "vote";

    /// <summary>The outcome of a vote that was due but still waiting for an in-flight slot when the load's time was up.</summary>
    public const string NeverSentOutcome = "never_sent (client queue full)";

    public ScenarioContext Context => context;
    public SeasonTarget Season => season;
    public VotePlan Plan => plan;
    public LoadRecorder Recorder => recorder;
    public VoteLedger Ledger => ledger;
    public IReadOnlyList<EdgeEndpoint> Edges => context.Stack.Edges;

    public void NeverSent(long intendedTimestamp) => recorder.Record(VoteOperation, intendedTimestamp, NeverSentOutcome, succeeded: false);

    /// <summary>Casts the next vote of the plan; false when the plan has no (voter, clip) pair left.</summary>
    public async Task<bool> CastNextAsync(long intendedTimestamp, CancellationToken cancellationToken)
    {
        if (!plan.TryNext(out var planned))
        {
            return false;
        }

        var voter = context.VoterAt(planned.VoterIndex);
        var attempt = await context.Api.CastAsync(Edges[voter.HomeEdge(Edges.Count)], voter, season.Clips[planned.ClipIndex], VoteTypes.Standard, cancellationToken);
        recorder.Record(VoteOperation, intendedTimestamp, attempt.Call.Outcome, attempt.Call.Succeeded);
        if (attempt.Accepted is { } accepted)
        {
            ledger.Accepted(new AcceptedVote(accepted.VoteId, season.Clips[planned.ClipIndex], accepted.Weight, accepted.Region, planned.VoterIndex));
        }

        return true;
    }
}

/// <summary>
/// Runs one vote scenario end to end: find the season, settle and snapshot the tallies, drive the load with live
/// progress, tally-staleness and process sampling, measure the drain and the leaderboards' fold, then verify exactly-once.
/// </summary>
public sealed class VoteLoadRun(ScenarioContext context)
{
    /// <summary>The longest healthz phase after a vote load; at the vote rate, enough requests for a CPU tick to be noise.</summary>
    public const double HealthzSeconds = 10;

    /// <summary>Long enough for the load tool's hot path to be compiled at its final tier.</summary>
    public const int WarmUpSeconds = 3;

    /// <summary>The warm-up's rate at most: it need only run the hot path often, not load the stack.</summary>
    public const double WarmUpMaxRate = 1_000;

    /// <summary>The longest wait for the leaderboards to fold the votes so far: a few rollup intervals (30 s by default).</summary>
    public static readonly TimeSpan LeaderboardFoldLimit = TimeSpan.FromMinutes(3);

    /// <summary>
    /// How long the rollup's processes are read idle, before the load and again after the fold, for the idle share of
    /// the time after the load.
    /// </summary>
    public static readonly TimeSpan IdleReadingLength = TimeSpan.FromSeconds(5);

    /// <summary>The outcome <see cref="PublicApiClient"/> names an accepted vote by.</summary>
    private const string Accepted = "202";

    public async Task<ScenarioResult> RunAsync(
        string name, long maxVotes, int voters, TimeSpan expectedDuration,
        IReadOnlyDictionary<string, string> settings,
        Func<VoteLoadSession, CancellationToken, Task<DriverResult>> driveAsync,
        CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var season = await context.SeasonAsync(cancellationToken);
        if (season.VotingEndsAt is { } endsAt && endsAt < DateTimeOffset.UtcNow + expectedDuration + TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException($"Slot {season.SlotPosition} of {season.SeasonLabel} closes at {endsAt:u}, before this load would end.");
        }

        var own = context.RunSeason.CreatedSeasonId == season.SeasonId;
        var runSettings = new Dictionary<string, string>(settings)
        {
            ["season"] = $"{season.SeasonLabel} #{season.SeasonNumber} ({(own ? "the run's own, deleted at its end" : "given by --season-id")})",
        };
        await using var shard = new ShardReader(season.ShardConnectionString);
        await using var leaderboards = new LeaderboardProbe(context.Stack.CatalogConnectionString, season.ShardConnectionString, season.ShardName);
        var verifier = new VoteVerifier(context.Api, context.Stack.Edges, season, shard, context.Options);
        Console.WriteLine($"[{name}] season {season.SeasonLabel} (#{season.SeasonNumber}, {season.ShardName}) slot {season.SlotPosition}, {season.Clips.Count} clips; warming up...");
        var warmUp = await WarmUpAsync(season, maxVotes / Math.Max(1, expectedDuration.TotalSeconds), cancellationToken);
        runSettings["warmUp"] = warmUp;
        Console.WriteLine($"[{name}] {warmUp}; settling tallies...");
        var baseline = await verifier.PrepareAsync(cancellationToken);
        // So that what the rollup folds after the load's start is the load's votes alone (the warm-up's are folded here).
        Console.WriteLine($"[{name}] waiting for the leaderboards to hold the votes so far...");
        var foldedBefore = await leaderboards.WaitUntilFoldedAsync(await leaderboards.LastChangesAsync(cancellationToken), LeaderboardFoldLimit,
            cancellationToken);
        var sampler = ProcessSampler.ForStack(context.Stack.Topology, context.Options.StateDirectoryOrDefault);
        var idleBefore = foldedBefore ? await ReadIdleAsync(sampler, cancellationToken) : null;

        var plan = new VotePlan(new ClipDistribution(season.Clips.Count, context.Options.HotShare), voters, maxVotes, seed: 42);
        var recorder = new LoadRecorder(VoteLoadSession.VoteOperation);
        var ledger = new VoteLedger();
        var session = new VoteLoadSession(context, season, plan, recorder, ledger);

        using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchLimit = expectedDuration + TimeSpan.FromMinutes(2);
        // The sampler's first reading, its PSS walk included, before the load's clock starts.
        var sampling = sampler.RunAsync(watchLimit, background.Token);
        var runtimeAtStart = await context.Runtime.ReadAsync(cancellationToken);
        recorder.Start();
        var watchers = new[]
        {
            sampling,
            new TallyWatcher(context.Api, context.Stack.Edges, season.SeasonId, baseline.Shard.TotalVotes, ledger, recorder).RunAsync(watchLimit, background.Token),
            ProgressDisplay.RunAsync(name, () => Status(recorder, ledger), watchLimit, background.Token),
        };
        var cpuAtStart = sampler.CpuNow();
        var driven = await driveAsync(session, cancellationToken);
        var cpuAtEnd = sampler.CpuNow();
        recorder.Stop();
        var runtimeAtEnd = await context.Runtime.ReadAsync(cancellationToken);
        var pipelineAtLoadEnd = await context.Pipeline.ReadAsync(cancellationToken);
        await background.CancelAsync();
        await Task.WhenAll(watchers);

        Console.WriteLine($"[{name}] load done: {driven.Issued} issued in {driven.Elapsed.TotalSeconds:0.0} s; waiting for the drain...");
        var drain = await verifier.WaitForDrainAsync(baseline, ledger, cancellationToken);
        // Drained: every accepted vote is on the shard, so its last changes are the load's.
        var changesOfLoad = await leaderboards.LastChangesAsync(cancellationToken);
        var cpu = CpuPerVote.From(cpuAtStart, cpuAtEnd, ledger.AcceptedCount);
        var runtime = RuntimePerVote.From(runtimeAtStart, runtimeAtEnd, ledger.AcceptedCount);
        var notes = new List<string>();
        if (ledger.AcceptedCount > 0 && !cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine($"[{name}] waiting for the leaderboards to hold the load's votes...");
            if (idleBefore is null)
            {
                notes.Add($"The leaderboards had not folded the votes before the load within {LeaderboardFoldLimit.TotalSeconds:0} s: no CPU figure with the fold.");
            }
            else if (!await leaderboards.WaitUntilFoldedAsync(changesOfLoad, LeaderboardFoldLimit, cancellationToken))
            {
                notes.Add($"The leaderboards had not folded the load's votes {LeaderboardFoldLimit.TotalSeconds:0} s after the drain: no CPU figure with the fold.");
            }
            else
            {
                var folded = sampler.CpuNow();
                cpu = cpu.WithLeaderboardFold(cpuAtStart, cpuAtEnd, folded, [idleBefore, await ReadIdleAsync(sampler, cancellationToken)]);
            }
        }

        // After the drain and the wait for the fold, so the edges have written the load's receipts and do nothing else
        // meanwhile; at the rate the votes came in.
        var votesPerSecond = ledger.AcceptedCount / Math.Max(0.001, driven.Elapsed.TotalSeconds);
        if (ledger.AcceptedCount > 0 && !cancellationToken.IsCancellationRequested)
        {
            cpu = await MeasureHealthzAsync(name, cpu, sampler, votesPerSecond, Math.Min(HealthzSeconds, driven.Elapsed.TotalSeconds), cancellationToken);
        }

        // Last, so that the fold's figures do not count reading every vote back from the shard.
        var verification = await verifier.VerifyAsync(baseline, ledger, drain, cancellationToken);

        var result = Result(name, startedAt, runSettings, recorder, plan, verification, sampler, notes) with { CpuPerVote = cpu, RuntimePerVote = runtime };
        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            [MetricNames.StackCpuUsPerVote] = cpu.StackMicrosecondsPerVote,
            [MetricNames.EdgesCpuUsPerVote] = cpu.GroupMicrosecondsPerVote.GetValueOrDefault("edges"),
        };
        if (cpu.LoadToolMicrosecondsPerVote is { } tool)
        {
            metrics[MetricNames.LoadToolCpuUsPerVote] = tool;
        }

        if (cpu.DashboardMicrosecondsPerVote is { } dashboard)
        {
            metrics[MetricNames.DashboardCpuUsPerVote] = dashboard;
        }

        if (cpu.LeaderboardFold is { } fold)
        {
            metrics[MetricNames.StackCpuUsPerVoteWithLeaderboardFold] = fold.StackMicrosecondsPerVote;
        }

        if (cpu.Healthz is { } healthz)
        {
            metrics[MetricNames.EdgesCpuUsPerHealthz] = healthz.EdgesMicrosecondsPerRequest;
            if (healthz.VoteOverHealthz is { } ratio)
            {
                metrics[MetricNames.EdgesVoteOverHealthzCpu] = ratio;
            }
        }

        if (runtime.Groups.TryGetValue("edges", out var edgesRuntime))
        {
            metrics[MetricNames.EdgesAllocatedKbPerVote] = edgesRuntime.AllocatedKilobytesPerVote;
            metrics[MetricNames.EdgesWorkItemsPerVote] = edgesRuntime.WorkItemsPerVote;
        }

        if (pipelineAtLoadEnd is not null)
        {
            metrics["streamDepthAtLoadEnd"] = pipelineAtLoadEnd.Regions.Sum(r => (double)r.StreamDepth);
            metrics["consumerLagAtLoadEnd"] = pipelineAtLoadEnd.Regions.Sum(r => (double)r.ConsumerLag);
        }

        return result with { Metrics = metrics };
    }

    /// <summary>
    /// Votes for <see cref="WarmUpSeconds"/> before the baseline is taken, by voters of their own, counted in no figure of
    /// the run. A fresh load tool compiles its hot path in its first seconds (perf/RESULTS.md): on a small machine that
    /// CPU is the stack's, and the measured load would start behind a backlog of its own making.
    /// </summary>
    private async Task<string> WarmUpAsync(SeasonTarget season, double ratePerSecond, CancellationToken cancellationToken)
    {
        var open = new OpenLoopSettings
        {
            RatePerSecond = Math.Min(ratePerSecond, WarmUpMaxRate),
            Duration = TimeSpan.FromSeconds(WarmUpSeconds),
            MaxInFlight = context.Concurrency,
            Grace = TimeSpan.FromSeconds(10),
        };
        var edges = context.Stack.Edges;
        var tag = context.RunTag + "-warmup";
        var recorder = new LoadRecorder(VoteLoadSession.VoteOperation);
        long next = -1;
        var driven = await OpenLoopDriver.RunAsync(open, async (intended, token) =>
        {
            var index = Interlocked.Increment(ref next);
            // From the top of the voters' range: no client IP of the run's own voters, whose limits stay theirs alone.
            var voter = new Voter(Voter.MaxVoters - 1 - (int)index, tag);
            var attempt = await context.Api.CastAsync(edges[voter.HomeEdge(edges.Count)], voter, season.Clips[(int)(index % season.Clips.Count)],
                VoteTypes.Standard, token);
            recorder.Record(VoteLoadSession.VoteOperation, intended, attempt.Call.Outcome, attempt.Call.Succeeded);
            return true;
        }, _ => { }, cancellationToken);
        var votes = recorder.Summarize().SingleOrDefault();
        var refused = votes?.Outcomes.Where(o => o.Key != Accepted).ToList() ?? [];
        var others = refused.Count == 0 ? "" : " (" + string.Join(", ", refused.Select(o => $"{o.Key} x{o.Value}")) + ")";
        return string.Create(CultureInfo.InvariantCulture,
            $"{driven.Issued} votes at {open.RatePerSecond:0}/s over {WarmUpSeconds} s before the baseline, {votes?.Succeeded ?? 0} accepted{others}, in no figure");
    }

    /// <summary>The stack's CPU over <see cref="IdleReadingLength"/> with no load.</summary>
    private static async Task<IdleReading> ReadIdleAsync(ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var from = sampler.CpuNow();
        await Task.Delay(IdleReadingLength, cancellationToken);
        return new IdleReading(from, sampler.CpuNow());
    }

    /// <summary>
    /// GET /healthz spread over the loaded edges as the votes were, open model at the vote rate, for up to
    /// <see cref="HealthzSeconds"/>: the edges' CPU per request of an HTTP exchange that does nothing else.
    /// </summary>
    private async Task<CpuPerVote> MeasureHealthzAsync(string name, CpuPerVote cpu, ProcessSampler sampler, double ratePerSecond, double seconds,
        CancellationToken cancellationToken)
    {
        var edges = context.Stack.Edges;
        var open = new OpenLoopSettings { RatePerSecond = ratePerSecond, Duration = TimeSpan.FromSeconds(seconds), MaxInFlight = context.Concurrency };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{name}] edges' CPU per GET /healthz: {ratePerSecond:0}/s for {seconds:0.#} s..."));
        long next = -1;
        long answered = 0;
        var start = sampler.CpuNow();
        await OpenLoopDriver.RunAsync(open, async (_, token) =>
        {
            if ((await context.Api.HealthzAsync(edges[(int)(Interlocked.Increment(ref next) % edges.Count)], token)).Succeeded)
            {
                Interlocked.Increment(ref answered);
            }

            return true;
        }, _ => { }, cancellationToken);
        var end = sampler.CpuNow();
        return cpu.WithHealthz(start, end, [.. edges.Select(e => e.Name)], answered, ratePerSecond);
    }

    private static ScenarioResult Result(string name, DateTimeOffset startedAt, IReadOnlyDictionary<string, string> settings,
        LoadRecorder recorder, VotePlan plan, VerificationResult verification, ProcessSampler sampler, IReadOnlyList<string> notes)
    {
        var operations = recorder.Summarize();
        var timeline = recorder.Timeline();
        var votes = operations.FirstOrDefault(o => o.Operation == VoteLoadSession.VoteOperation);
        var staleness = timeline.Where(p => p.TallyStalenessMs is not null).Select(p => p.TallyStalenessMs!.Value).ToList();
        var behind = timeline.Where(p => p.TallyBehindVotes is not null).Select(p => p.TallyBehindVotes!.Value).ToList();
        var planned = plan.PlannedPerClip;
        var metrics = new Dictionary<string, double>
        {
            [MetricNames.AcceptedPerSecond] = votes?.SucceededPerSecond ?? 0,
            [MetricNames.P50Ms] = votes?.P50Ms ?? 0,
            [MetricNames.P90Ms] = votes?.P90Ms ?? 0,
            [MetricNames.P99Ms] = votes?.P99Ms ?? 0,
            [MetricNames.P999Ms] = votes?.P999Ms ?? 0,
            [MetricNames.EffectiveHotShare] = Math.Round(planned.Sum() == 0 ? 0 : planned[0] / (double)planned.Sum(), 4),
        };
        if (verification.DrainSeconds is { } drain)
        {
            metrics[MetricNames.DrainSeconds] = drain;
        }

        if (staleness.Count > 0)
        {
            metrics[MetricNames.MaxTallyStalenessMs] = Math.Round(staleness.Max(), 1);
            metrics[MetricNames.MeanTallyStalenessMs] = Math.Round(staleness.Average(), 1);
            metrics[MetricNames.MaxTallyBehindVotes] = behind.Max();
        }

        return new ScenarioResult
        {
            Name = name,
            StartedAt = startedAt,
            Seconds = Math.Round(recorder.Elapsed.TotalSeconds, 2),
            Settings = settings,
            Metrics = metrics,
            Operations = operations,
            Timeline = timeline,
            Verification = verification,
            Processes = sampler.Summarize(),
            Notes = [.. LoadNotes(votes), .. notes],
        };
    }

    /// <summary>
    /// The votes the load gave up on, by what became of them. Read from their recorded outcomes, not from what was
    /// pending when the grace period ended: a request in flight then may still be answered as the cancellation goes out.
    /// </summary>
    public static IReadOnlyList<string> LoadNotes(OperationSummary? votes)
    {
        var notes = new List<string>();
        if (votes?.Outcomes.GetValueOrDefault(VoteLoadSession.NeverSentOutcome) is > 0 and var neverSent)
        {
            notes.Add($"{VotesWere(neverSent)} due but never sent: every in-flight slot stayed taken until the grace period ended.");
        }

        if (votes?.Outcomes.GetValueOrDefault(CallOutcome.Cancelled) is > 0 and var cancelled)
        {
            notes.Add($"{VotesWere(cancelled)} still in flight when the grace period ended, and cancelled.");
        }

        return notes;

        static string VotesWere(long count) => count == 1 ? "1 vote was" : $"{count} votes were";
    }

    private static string Status(LoadRecorder recorder, VoteLedger ledger)
    {
        var (succeeded, failed, p99) = recorder.Snapshot();
        var seconds = Math.Max(recorder.Elapsed.TotalSeconds, 0.001);
        return string.Create(CultureInfo.InvariantCulture,
            $"{seconds,5:0}s  ok {succeeded,9:N0} ({succeeded / seconds,7:0}/s)  errors {failed,7:N0}  accepted {ledger.AcceptedCount,9:N0}  p99 {p99,8:0.0} ms");
    }
}
