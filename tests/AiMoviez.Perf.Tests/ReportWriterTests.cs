using System.Text.Json;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Report;
using AiMoviez.Perf.Verification;
using AiMoviez.Testing;

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

        var html = await File.ReadAllTextAsync(Path.Combine(written, "index.html"));
        Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.Contains("Latency from intended send (ms)", html, StringComparison.Ordinal);
        Assert.Contains("Public tally staleness", html, StringComparison.Ordinal);
        Assert.Contains("1 votes answered 202 are not in the shard", html, StringComparison.Ordinal);
        // Self-contained and inert: text from the run (here the command line) is escaped, and nothing is scripted.
        Assert.Contains("--out &lt;dir&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("</body></html>\n", html, StringComparison.Ordinal);
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
        };
        return new RunReport
        {
            RunId = "t3st",
            StartedAt = startedAt,
            Command = "AiMoviez.Perf sustained --out <dir>",
            Machine = new MachineInfo("test", 2, "cpu", 4, "linux", ".NET 10", "0.1 0.1 0.1"),
            Scenarios = [scenario],
            Ratios = [new Ratio("sustained / baseline", 12.3, "faster")],
        };
    }
}
