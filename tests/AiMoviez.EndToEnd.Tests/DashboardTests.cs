using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// The whole system exporting to a real .NET Aspire Dashboard (the one <c>./aimoviez up</c> runs): after one vote, the
/// dashboard shows, in a real browser (Debian's chromium), one trace holding spans of the edge and of the aggregator.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new("dashboard");
    private readonly int _uiPort = FreePort.Next();
    private readonly int _otlpPort = FreePort.Next();
    private readonly int _otlpHttpPort = FreePort.Next();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private ExternalProcess? _dashboard;
    private SystemUnderTest? _system;

    private string DashboardUrl => $"http://127.0.0.1:{_uiPort}";

    public async Task InitializeAsync()
    {
        var executable = await AspireDashboard.EnsureAsync();
        _dashboard = ExternalProcess.Start(executable, [], Path.Combine(_dir.Path, "dashboard.log"), new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = DashboardUrl,
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{_otlpPort}",
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://127.0.0.1:{_otlpHttpPort}",
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
        }, workingDirectory: Path.GetDirectoryName(executable));
        await Eventually.UntilAsync(async () => (await _http.GetAsync(DashboardUrl + "/api/telemetry/resources")).StatusCode == HttpStatusCode.OK,
            Deadline, "the dashboard to answer");

        _system = new SystemUnderTest
        {
            ServiceEnvironment = new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{_otlpPort}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
                // Spans leave in batches: a short delay keeps the test quick.
                ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
            },
        };
        await _system.InitializeAsync();
    }

    [Fact]
    public async Task After_a_vote_the_dashboard_shows_one_trace_with_spans_of_the_edge_and_the_aggregator()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: ./aimoviez test installs Debian's chromium (apt-get install chromium).");
        var system = _system!;
        var (seasonId, clips) = await system.CreateVotingSeasonAsync(2);
        await system.WaitUntilEdgesServeAsync(seasonId, 2);
        var edge = system.Edges["us-east"];
        using (var vote = await system.Http.SendAsync(SystemUnderTest.Vote(edge.BaseUrl, clips[0], voter: 4242)))
        {
            Assert.Equal(HttpStatusCode.Accepted, vote.StatusCode);
        }

        // The dashboard's own API, which its pages read too, names the trace; the browser must then show it whole.
        var traceId = await Eventually.UntilAsync(() => TraceWithBothAsync("aimoviez-edge-us-east", "aimoviez-aggregator"),
            id => id is not null, Deadline, "a trace with spans of the edge and of the aggregator in the dashboard");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync($"{DashboardUrl}/traces");
        await Assertions.Expect(page.GetByText(traceId![..7]).First).ToBeVisibleAsync();

        await page.GotoAsync($"{DashboardUrl}/traces/detail/{traceId}");
        // One row per span, "<resource>: <span>"; the dashboard shows messaging spans as "MSG <system> <destination>".
        foreach (var span in (string[])["aimoviez-edge-us-east: POST /v1/votes", "aimoviez-edge-us-east: EVALSHA",
                     "aimoviez-edge-us-east: MSG nats votes.us-east.shard-", "aimoviez-aggregator: MSG nats shard-",
                     "aimoviez-aggregator: transaction shard-"])
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Row, new() { Name = span }).First)
                .ToBeVisibleAsync();
        }
    }

    /// <summary>The id of a trace holding spans of every one of <paramref name="services"/>, or null.</summary>
    private async Task<string?> TraceWithBothAsync(params string[] services)
    {
        var traces = JsonNode.Parse(await _http.GetStringAsync(DashboardUrl + "/api/telemetry/traces"))!;
        var servicesByTrace = new Dictionary<string, HashSet<string>>();
        foreach (var resourceSpans in traces["data"]?["resourceSpans"]?.AsArray() ?? [])
        {
            var service = resourceSpans!["resource"]?["attributes"]?.AsArray()
                .FirstOrDefault(a => (string?)a!["key"] == "service.name")?["value"]?["stringValue"]?.GetValue<string>();
            foreach (var span in resourceSpans["scopeSpans"]?.AsArray().SelectMany(s => s!["spans"]?.AsArray() ?? []) ?? [])
            {
                var traceId = (string)span!["traceId"]!;
                if (!servicesByTrace.TryGetValue(traceId, out var seen))
                {
                    servicesByTrace[traceId] = seen = [];
                }

                seen.Add(service ?? "");
            }
        }

        return servicesByTrace.FirstOrDefault(t => services.All(t.Value.Contains)).Key;
    }

    public async Task DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }

        _dashboard?.Dispose();
        _http.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The Aspire Dashboard from its NuGet package, restored by build/dashboard as <c>./aimoviez</c> does.</summary>
public static class AspireDashboard
{
    public const string Variable = "AIMOVIEZ_ASPIRE_DASHBOARD";

    public static async Task<string> EnsureAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given && File.Exists(given))
        {
            return given;
        }

        var packages = Path.Combine(RepoPaths.Root, ".aimoviez", "tools", "packages");
        var executable = Path.Combine(packages, "aspire.dashboard.sdk.linux-x64", "13.6.5", "tools", "Aspire.Dashboard");
        if (File.Exists(executable))
        {
            return executable;
        }

        using var restore = Process.Start(new ProcessStartInfo("dotnet",
            ["restore", Path.Combine(RepoPaths.Root, "build", "dashboard", "AspireDashboard.csproj"), "--packages", packages, "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = restore.StandardOutput.ReadToEndAsync(timeout.Token);
        await restore.WaitForExitAsync(timeout.Token);
        Assert.True(restore.ExitCode == 0 && File.Exists(executable), "Aspire Dashboard restore failed: " + await output);
        return executable;
    }
}
