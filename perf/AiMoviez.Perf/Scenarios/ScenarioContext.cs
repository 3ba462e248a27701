using AiMoviez.Contracts;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Scenarios;

/// <summary>What every scenario of one run shares: options, the run's voter tag, the stack's addresses, the HTTP client.</summary>
public sealed class ScenarioContext : IDisposable
{
    public const int DefaultConcurrency = 128;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The client of the load's votes and /healthz requests, behind <see cref="Api"/>.</summary>
    private readonly Http2LoadClient _load;
    private SeasonTarget? _season;

    public ScenarioContext(PerfOptions options, string runTag, string? adminToken, RunSeason runSeason)
    {
        Options = options;
        RunTag = runTag;
        RunSeason = runSeason;
        Stack = StackAddresses.FromTopology(TopologyFile.Load(options.TopologyPath), options.Regions);
        Http = LoopbackHttp.Create(Math.Max(options.ConcurrencyOr(DefaultConcurrency), 8), RequestTimeout);
        _load = LoopbackHttp.CreateLoadClient(RequestTimeout);
        Api = new PublicApiClient(Http, _load, options.Captcha);
        Pipeline = new PipelineProbe(Http, Stack.CoreUri, adminToken);
        Runtime = new RuntimeProbe(Http, [.. StackProcesses.DotnetServices(Stack.Topology).Select(s => (s.Name, LoopbackGuard.Check(s.Url)))]);
    }

    public PerfOptions Options { get; }

    /// <summary>Random per run; part of every simulated voter's identity so each run has fresh voters.</summary>
    public string RunTag { get; }

    public StackAddresses Stack { get; }

    public HttpClient Http { get; }

    public PublicApiClient Api { get; }

    public PipelineProbe Pipeline { get; }

    public RuntimeProbe Runtime { get; }

    /// <summary>The season of the whole run (its own, or the one given), shared by its scenarios.</summary>
    public RunSeason RunSeason { get; }

    public int Concurrency => Options.ConcurrencyOr(DefaultConcurrency);

    /// <summary>The season's state when the scenario first asks: its voting slot may have moved on since an earlier scenario.</summary>
    public async Task<SeasonTarget> SeasonAsync(CancellationToken cancellationToken) =>
        _season ??= await new SeasonDiscovery(Http, Stack).DiscoverAsync(await RunSeason.IdAsync(cancellationToken), Options.Clips, cancellationToken);

    public Voter VoterAt(int index) => new(index, RunTag);

    public void Dispose()
    {
        Http.Dispose();
        _load.Dispose();
    }
}
