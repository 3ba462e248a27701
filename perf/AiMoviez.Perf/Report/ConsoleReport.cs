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
        Console.WriteLine($"=== AiMoviez perf run {report.RunId} — {m.Cores} cores {m.CpuModel}, {m.MemoryGb} GB, {m.Os}, {m.StateAtStart()}");
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

            if (scenario.CpuPerVote is { } cpu)
            {
                PrintCpu(cpu);
            }

            if (scenario.RuntimePerVote is { Processes.Count: > 0 } runtime)
            {
                PrintRuntime(runtime);
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

    private static void PrintCpu(CpuPerVote cpu)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    CPU per accepted vote over the load window ({cpu.WindowSeconds:0.0} s, {cpu.AcceptedVotes:N0} votes), µs of CPU time per vote:"));
        foreach (var process in cpu.Processes)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"      {process.Name,-22} {process.MicrosecondsPerVote,9:0.0} µs/vote  ({process.CpuSeconds:0.00} s CPU)"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {"stack (load tool apart)",-22} {cpu.StackMicrosecondsPerVote,9:0.0} µs/vote"));
        Console.WriteLine("      by kind: " + string.Join(", ", cpu.GroupMicrosecondsPerVote.OrderByDescending(g => g.Value)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Value:0.0}"))));
        if (cpu.LoadToolMicrosecondsPerVote is { } tool)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {"load tool (perf)",-22} {tool,9:0.0} µs/vote"));
        }

        if (cpu.DashboardMicrosecondsPerVote is { } dashboard)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {"dashboard (telemetry)",-22} {dashboard,9:0.0} µs/vote"));
        }

        if (cpu.MachineMicrosecondsPerVote is { } machine)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {"machine (all processes)",-22} {machine,9:0.0} µs/vote"));
        }

        if (cpu.LeaderboardFold is { } fold)
        {
            var groups = string.Join(", ", fold.GroupMicrosecondsPerVote.OrderByDescending(g => g.Value)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Value:0.0}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"      with the leaderboards' fold ({fold.SecondsAfterLoad:0.0} s after the load, the lowest idle rate of {fold.IdleReadings} readings over {fold.IdleSeconds:0.0} s taken out): {groups}; stack {fold.StackMicrosecondsPerVote:0.0} µs/vote"));
        }

        if (cpu.Healthz is { } healthz)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"      edges per GET /healthz {healthz.EdgesMicrosecondsPerRequest:0.0} µs ({healthz.Requests:N0} requests at {healthz.RatePerSecond:0}/s over {healthz.Seconds:0.0} s); "
                + $"per vote {healthz.EdgesMicrosecondsPerVote:0.0} µs: a vote costs the edges {(healthz.VoteOverHealthz is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "?")} × a healthz"));
        }
    }

    private static void PrintRuntime(RuntimePerVote runtime)
    {
        Console.WriteLine("    .NET runtime per accepted vote over the load window (each service's System.Runtime counters):");
        foreach (var p in runtime.Processes)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"      {p.Name,-22} {p.AllocatedKilobytesPerVote,8:0.00} KB allocated  {p.WorkItemsPerVote,6:0.00} work items  gen0 {p.Gen0CollectionsPerThousandVotes,5:0.00} and lock contentions {p.LockContentionsPerThousandVotes,5:0.00} per 1,000 votes"));
        }
    }

    private static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture);
}
