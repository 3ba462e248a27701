using System.Text.Json;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;
using AiMoviez.Perf.Verification;

namespace AiMoviez.Perf.Tests;

public sealed class ReportWriterTests
{
    [Fact]
    public async Task Writes_a_parsable_report_json_and_an_html_page_with_its_charts()
    {
        using var dir = new TempDirectory("perf-report");
        var report = Report();

        var written = await ReportWriter.WriteAsync(report, dir.Path, CancellationToken.None);

        Assert.Equal(Path.Combine(dir.Path, "20261123-003000"), written);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(written, "report.json")));
        var scenario = json.RootElement.GetProperty("scenarios")[0];
        Assert.Equal("sustained", scenario.GetProperty("name").GetString());
        Assert.Equal(798.5, scenario.GetProperty("metrics").GetProperty(MetricNames.AcceptedPerSecond).GetDouble());
        Assert.Equal(3, scenario.GetProperty("timeline").GetArrayLength());
        Assert.Equal(1, scenario.GetProperty("verification").GetProperty("missingInShard").GetInt64());
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        var cpu = scenario.GetProperty("cpuPerVote");
        Assert.Equal(2_400, cpu.GetProperty("acceptedVotes").GetInt64());
        Assert.Equal("edge-us-east", cpu.GetProperty("processes")[0].GetProperty("name").GetString());
        Assert.Equal(250, cpu.GetProperty("processes")[0].GetProperty("microsecondsPerVote").GetDouble());
        Assert.Equal(300, cpu.GetProperty("stackMicrosecondsPerVote").GetDouble());
        Assert.Equal(125, cpu.GetProperty("loadToolMicrosecondsPerVote").GetDouble());
        Assert.Equal(250, cpu.GetProperty("groupMicrosecondsPerVote").GetProperty("edges").GetDouble());
        Assert.Equal(50, cpu.GetProperty("healthz").GetProperty("edgesMicrosecondsPerRequest").GetDouble());
        Assert.Equal(5, cpu.GetProperty("healthz").GetProperty("voteOverHealthz").GetDouble());

        var html = await File.ReadAllTextAsync(Path.Combine(written, "index.html"));
        Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.Contains("Latency from intended send (ms)", html, StringComparison.Ordinal);
        Assert.Contains("Public tally staleness", html, StringComparison.Ordinal);
        Assert.Contains("1 votes answered 202 are not in the shard", html, StringComparison.Ordinal);
        // Self-contained and inert: text from the run (here the command line) is escaped, and nothing is scripted.
        Assert.Contains("--out &lt;dir&gt;", html, StringComparison.Ordinal);
        Assert.Contains("load average at start 0.1 0.1 0.1, kernel autogroups off", html, StringComparison.Ordinal);
        Assert.Equal("off", json.RootElement.GetProperty("machine").GetProperty("kernelAutogroups").GetString());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<h3>CPU per accepted vote</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<td>stack (load tool apart)</td><td></td><td></td><td>300.0</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>50.0</td><td>250.0</td><td>5.00</td>", html, StringComparison.Ordinal);
        Assert.EndsWith("</body></html>\n", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_console_report_prints_the_cpu_per_vote_of_each_process_and_the_edges_vote_over_healthz()
    {
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            ConsoleReport.Print(Report(), "/tmp/report");
        }
        finally
        {
            Console.SetOut(console);
        }

        var text = output.ToString();
        Assert.Contains("load average at start 0.1 0.1 0.1, kernel autogroups off", text, StringComparison.Ordinal);
        Assert.Contains("CPU per accepted vote over the load window (3.0 s, 2,400 votes)", text, StringComparison.Ordinal);
        Assert.Matches(@"edge-us-east\s+250\.0 µs/vote  \(0\.60 s CPU\)", text);
        Assert.Matches(@"stack \(load tool apart\)\s+300\.0 µs/vote", text);
        Assert.Contains("by kind: edges 250.0, pg-shards 50.0", text, StringComparison.Ordinal);
        Assert.Contains("edges per GET /healthz 50.0 µs (3,000 requests at 1000/s over 3.0 s); per vote 250.0 µs: a vote costs the edges 5.00 × a healthz", text, StringComparison.Ordinal);
    }

    /// <summary>0.6 s of edge CPU and 0.12 s of a shard's over 2,400 votes; then 3,000 healthz taking 0.15 s of the edge.</summary>
    private static CpuPerVote Cpu()
    {
        static CpuSnapshot At(double seconds, long edge, long shard, long perf) => new((long)(seconds * System.Diagnostics.Stopwatch.Frequency),
            new Dictionary<string, long> { ["edge-us-east"] = edge, ["pg-shard-1"] = shard, [ProcessSampler.LoadToolName] = perf }, null);
        return CpuPerVote.From(At(0, 0, 0, 0), At(3, 60, 12, 30), 2_400)
            .WithHealthz(At(10, 1_000, 0, 0), At(13, 1_015, 0, 0), ["edge-us-east"], 3_000, 1_000);
    }

    private static RunReport Report()
    {
        var startedAt = new DateTimeOffset(2026, 11, 23, 0, 30, 0, TimeSpan.Zero);
        var scenario = new ScenarioResult
        {
            Name = "sustained",
            StartedAt = startedAt,
            Seconds = 3,
            Settings = new Dictionary<string, string> { ["rate"] = "800" },
            Metrics = new Dictionary<string, double> { [MetricNames.AcceptedPerSecond] = 798.5, [MetricNames.P99Ms] = 12.5 },
            Operations =
            [
                new OperationSummary("vote", 2400, 2396, 4, 798.5, 2.1, 4.0, 12.5, 40.2, 310.0,
                    new Dictionary<string, long> { ["202"] = 2396, ["never_sent (client queue full)"] = 4 }),
            ],
            Timeline =
            [
                new TimelinePoint(0, 800, 800, 0, 2.0, 10.0, 120, 40),
                new TimelinePoint(1, 800, 797, 3, 2.2, 300.0, 340, -2),
                new TimelinePoint(2, 800, 799, 1, 2.1, 11.0, null, null),
            ],
            Verification = new VerificationResult
            {
                Passed = false,
                Accepted = 2396,
                Counted = 2395,
                Rejected = 0,
                Revoked = 0,
                RevokesAnswered202 = 0,
                MissingInShard = 1,
                DuplicateVoteIds = 0,
                ForeignVotes = 0,
                RejectReasons = new Dictionary<string, long>(),
                ReceiptsChecked = 2396,
                ReceiptsFinal = 2395,
                ReceiptMismatches = 0,
                ReceiptsUnanswered = new Dictionary<string, long> { ["404 NOT_FOUND"] = 1 },
                DrainSeconds = null,
                ShardDrainSeconds = 0.8,
                Problems = ["1 votes answered 202 are not in the shard's votes table (lost)."],
                Notes = [],
            },
            CpuPerVote = Cpu(),
        };
        return new RunReport
        {
            RunId = "t3st",
            StartedAt = startedAt,
            Command = "AiMoviez.Perf sustained --out <dir>",
            Machine = new MachineInfo("test", 2, "cpu", 4, "linux", ".NET 10", "0.1 0.1 0.1", "off"),
            Scenarios = [scenario],
            Ratios = [new Ratio("sustained / baseline", 12.3, "faster")],
        };
    }
}
