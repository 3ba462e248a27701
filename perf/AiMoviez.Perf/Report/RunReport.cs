using AiMoviez.Perf.Load;
using AiMoviez.Perf.Stack;
using AiMoviez.Perf.Verification;

namespace AiMoviez.Perf.Report;

/// <summary>One scenario's outcome. <see cref="Metrics"/> holds its headline numbers under stable names the ratios use.</summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required double Seconds { get; init; }
    public required IReadOnlyDictionary<string, string> Settings { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public IReadOnlyList<OperationSummary> Operations { get; init; } = [];
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];
    public VerificationResult? Verification { get; init; }
    public IReadOnlyList<ProcessUsage> Processes { get; init; } = [];
    /// <summary>Vote scenarios: CPU per accepted vote per process over the load window, and the edges' CPU per healthz.</summary>
    public CpuPerVote? CpuPerVote { get; init; }
    /// <summary>Vote scenarios: what the .NET services' runtimes counted per accepted vote over the load window.</summary>
    public RuntimePerVote? RuntimePerVote { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Set when the scenario could not run at all (stack down, database unreachable).</summary>
    public string? Error { get; init; }

    public bool Passed => Error is null && (Verification?.Passed ?? true);
}

public sealed record Ratio(string Name, double Value, string Meaning);

/// <summary>
/// The machine a run came from; the load average at start says whether something else was busy on it. The kernel's
/// autogroups (on, off or unknown) change how the stack's processes share the cores (perf/RESULTS.md), so a run names
/// them.
/// </summary>
public sealed record MachineInfo(string Host, int Cores, string CpuModel, double MemoryGb, string Os, string Runtime, string LoadAverageAtStart,
    string KernelAutogroups)
{
    private const string AutogroupSetting = "/proc/sys/kernel/sched_autogroup_enabled";

    /// <summary>What the report says of a fact this machine does not expose.</summary>
    private const string Unknown = "unknown";

    public static MachineInfo Current()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        return new MachineInfo(Environment.MachineName, Environment.ProcessorCount, model ?? Unknown,
            memKb is null ? 0 : Math.Round(long.Parse(memKb, System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0, 1),
            System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : Unknown,
            KernelAutogroupsNow());
    }

    /// <summary>What the report's first line says of the machine's state when the run began, in the console and the HTML page alike.</summary>
    public string StateAtStart() => $"load average at start {LoadAverageAtStart}, kernel autogroups {KernelAutogroups}";

    private static string KernelAutogroupsNow()
    {
        if (!File.Exists(AutogroupSetting))
        {
            return Unknown;
        }

        return File.ReadAllText(AutogroupSetting).Trim() == "0" ? "off" : "on";
    }
}

public sealed record RunReport
{
    public required string RunId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string Command { get; init; }
    public required MachineInfo Machine { get; init; }
    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }
    public required IReadOnlyList<Ratio> Ratios { get; init; }

    public bool Passed => Scenarios.All(s => s.Passed);
}
