using System.Globalization;
using AiMoviez.Perf.Verification;

namespace AiMoviez.Perf.Report;

/// <summary>The report as text on stdout: what a person reads first.</summary>
public static class ConsoleReport
{
    public static void Print(RunReport report, string directory)
    {
        var m = report.Machine;
        Console.WriteLine();
        Console.WriteLine($"=== AiMoviez perf run {report.RunId} — {m.Cores} cores {m.CpuModel}, {m.MemoryGb} GB, {m.Os}, load average at start {m.LoadAverageAtStart}");
        foreach (var scenario in report.Scenarios)
        {
            Console.WriteLine();
            Console.WriteLine($"--- {scenario.Name} ({scenario.Seconds:0.0} s) {(scenario.Passed ? "ok" : "FAILED")}");
            if (scenario.Error is not null)
            {
                Console.WriteLine($"    error: {scenario.Error}");
            }

            Console.WriteLine("    " + string.Join(", ", scenario.Settings.Select(s => $"{s.Key}={s.Value}")));
            Console.WriteLine("    " + string.Join(", ", scenario.Metrics.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
            foreach (var op in scenario.Operations)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {op.Operation,-14} n={op.Count,9} ok/s={op.SucceededPerSecond,9:0.0}  p50={op.P50Ms,8:0.000} p90={op.P90Ms,8:0.000} p99={op.P99Ms,8:0.000} p99.9={op.P999Ms,8:0.000} max={op.MaxMs,8:0.0} ms"));
                Console.WriteLine("        outcomes: " + string.Join(", ", op.Outcomes.Select(o => $"{o.Key} x{o.Value}")));
            }

            if (scenario.Verification is { } verification)
            {
                Console.WriteLine("    verification " + VoteVerifier.Describe(verification));
                foreach (var problem in verification.Problems)
                {
                    Console.WriteLine("      PROBLEM: " + problem);
                }

                foreach (var note in verification.Notes)
                {
                    Console.WriteLine("      note: " + note);
                }
            }

            foreach (var process in scenario.Processes)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {process.Name,-22} pid {process.Pid,7}  cpu avg {process.AverageCpuPercent,6:0.0}% peak {process.PeakCpuPercent,6:0.0}%  rss peak {process.PeakRssMb,8:0.0} MB  pss peak {process.PeakPssMb,8:0.0} MB"));
            }

            foreach (var note in scenario.Notes)
            {
                Console.WriteLine("    note: " + note);
            }
        }

        if (report.Ratios.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("--- ratios");
            foreach (var ratio in report.Ratios)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {ratio.Name,-32} {ratio.Value,10:0.0000}  ({ratio.Meaning})"));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{(report.Passed ? "PASSED" : "FAILED")} — report: {Path.Combine(directory, "index.html")} and report.json");
    }

    private static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture);
}
