using System.Diagnostics;
using System.Globalization;
using AiMoviez.Contracts;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// RSS sums every process of the group, so pages shared between them (PostgreSQL's shared buffers) count once per
/// backend; PSS divides shared pages among their users and is the honest total of a group. PeakPssMb is the higher of
/// the readings at the start and the end of the sampling; PeakRssMb the highest of the readings each second.
/// </summary>
public sealed record ProcessUsage(string Name, int Pid, double AverageCpuPercent, double PeakCpuPercent, double PeakRssMb, double PeakPssMb, int Samples);

/// <summary>CPU clock ticks of every sampled group (and of the whole machine) at one moment.</summary>
public sealed record CpuSnapshot(long Timestamp, IReadOnlyDictionary<string, long> Ticks, long? MachineTicks)
{
    /// <summary>USER_HZ, the unit of /proc's CPU times, on every Linux the stack targets.</summary>
    public const double TicksPerSecond = 100;
}

/// <summary>
/// Samples CPU and RSS of the stack's processes (and their children, which is where PostgreSQL backends live) once a
/// second from /proc. 100 % CPU is one full core. The processes are found by the ports the topology gives them
/// (<see cref="StackProcesses"/>); one that is not found that way by the stack's `pids/*.pid` or its PostgreSQL
/// cluster's `data/*/postmaster.pid` in its state folder; with none found at all, by name.
/// </summary>
public sealed class ProcessSampler
{
    /// <summary>The load tool itself, beside the stack's processes.</summary>
    public const string LoadToolName = "perf";
    /// <summary>The telemetry dashboard `./aimoviez up` starts: the local stack's collector, not a step of the vote path.</summary>
    public const string DashboardName = "dashboard";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The whole machine (every core, every process, the stack's or not): other work on a shared box shows here.</summary>
    public const string MachineName = "machine (all processes)";
    private static readonly string[] KnownNames = ["AiMoviez.Edge", "AiMoviez.Core", "AiMoviez.Aggregator", "nats-server", "redis-server", "postgres"];

    private readonly IReadOnlyDictionary<string, int> _roots;
    private readonly Dictionary<string, List<UsageSample>> _samples = [];

    private ProcessSampler(IReadOnlyDictionary<string, int> roots) => _roots = roots;

    /// <summary>The root pid of each sampled group, by name.</summary>
    public IReadOnlyDictionary<string, int> Roots => _roots;

    /// <summary>Samples the given processes (each with its descendants) and the whole machine.</summary>
    public static ProcessSampler For(IReadOnlyDictionary<string, int> roots) => new(roots);

    public static ProcessSampler ForStack(Topology topology, string stateDirectory)
    {
        var roots = StackProcesses.Find(topology);
        var fromFiles = FromPidFiles(Path.Combine(stateDirectory, "pids"));
        foreach (var (name, pid) in FromPostmasterFiles(Path.Combine(stateDirectory, "data")))
        {
            fromFiles[name] = pid;
        }

        foreach (var (name, _) in StackProcesses.Listeners(topology))
        {
            if (!roots.ContainsKey(name) && fromFiles.TryGetValue(name, out var pid))
            {
                roots[name] = pid;
            }
        }

        if (roots.Count == 0)
        {
            roots = FromProcNames();
        }

        if (fromFiles.TryGetValue(DashboardName, out var dashboard))
        {
            roots[DashboardName] = dashboard;
        }

        roots[LoadToolName] = Environment.ProcessId;
        return For(roots);
    }

    /// <summary>
    /// CPU ticks of every group now, read on the caller's thread so a load window's edges are exact to the read;
    /// safe beside a running <see cref="RunAsync"/>, which keeps its own samples.
    /// </summary>
    public CpuSnapshot CpuNow()
    {
        var children = ChildrenByParent();
        var ticks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, root) in _roots)
        {
            if (GroupTicks(root, children) is { } t)
            {
                ticks[name] = t;
            }
        }

        return new CpuSnapshot(Stopwatch.GetTimestamp(), ticks, ReadMachineBusyTicks());
    }

    /// <summary>
    /// Samples until cancelled or until the bound, whichever comes first. The first sample is taken before this returns,
    /// so its PSS reading falls before the caller's load begins; the rest read /proc (blocking I/O) on a thread of their
    /// own rather than a thread-pool thread of the load.
    /// </summary>
    /// <remarks>
    /// PSS is read at the first and the last sample only: the kernel walks every page of a process to sum smaps_rollup, and
    /// one reading of the whole stack costs about a tenth of a second of CPU, which every fifth second was a sixth of the
    /// load tool's CPU per vote (perf/RESULTS.md).
    /// </remarks>
    public Task RunAsync(TimeSpan maxDuration, CancellationToken cancellationToken)
    {
        Sample(withPss: true);
        return Task.Factory.StartNew(() =>
        {
            var maxSamples = (int)(maxDuration / Interval) + 1;
            for (var i = 0; i < maxSamples && !cancellationToken.WaitHandle.WaitOne(Interval); i++)
            {
                Sample(withPss: false);
            }

            Sample(withPss: true);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public IReadOnlyList<ProcessUsage> Summarize()
    {
        var result = new List<ProcessUsage>();
        foreach (var (name, samples) in _samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (samples.Count < 2)
            {
                continue;
            }

            var peakCpu = 0.0;
            for (var i = 1; i < samples.Count; i++)
            {
                peakCpu = Math.Max(peakCpu, CpuPercent(samples[i - 1], samples[i]));
            }

            result.Add(new ProcessUsage(name, _roots.GetValueOrDefault(name), Math.Round(CpuPercent(samples[0], samples[^1]), 1),
                Math.Round(peakCpu, 1), Math.Round(samples.Max(s => s.RssMb), 1), Math.Round(samples.Max(s => s.PssMb), 1), samples.Count));
        }

        return result;
    }

    private static double CpuPercent(UsageSample from, UsageSample to)
    {
        var seconds = Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp).TotalSeconds;
        return seconds <= 0 ? 0 : Math.Max(0, to.Ticks - from.Ticks) / CpuSnapshot.TicksPerSecond / seconds * 100;
    }

    private void Sample(bool withPss)
    {
        var now = Stopwatch.GetTimestamp();
        if (ReadMachineBusyTicks() is { } busy)
        {
            Add(MachineName, new UsageSample(busy, 0, 0, now));
        }

        var children = ChildrenByParent();
        foreach (var (name, root) in _roots)
        {
            long ticks = 0;
            double rssMb = 0;
            double pssMb = 0;
            var alive = false;
            foreach (var pid in WithDescendants(root, children))
            {
                if (ReadTicks(pid) is { } t)
                {
                    alive = true;
                    ticks += t;
                    rssMb += ReadMemoryMb($"/proc/{pid}/status", "VmRSS:");
                    pssMb += withPss ? ReadMemoryMb($"/proc/{pid}/smaps_rollup", "Pss:") : 0;
                }
            }

            if (alive)
            {
                Add(name, new UsageSample(ticks, rssMb, pssMb, now));
            }
        }
    }

    private void Add(string name, UsageSample sample)
    {
        if (!_samples.TryGetValue(name, out var list))
        {
            _samples[name] = list = [];
        }

        list.Add(sample);
    }

    private static long? GroupTicks(int root, Dictionary<int, List<int>> children)
    {
        long? ticks = null;
        foreach (var pid in WithDescendants(root, children))
        {
            if (ReadTicks(pid) is { } t)
            {
                ticks = (ticks ?? 0) + t;
            }
        }

        return ticks;
    }

    /// <summary>/proc/stat "cpu" line: every tick not idle or waiting for I/O, summed over all cores.</summary>
    private static long? ReadMachineBusyTicks()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var ticks = fields[1..9].Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            return ticks.Sum() - ticks[3] - ticks[4];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private readonly record struct UsageSample(long Ticks, double RssMb, double PssMb, long Timestamp);

    private static IEnumerable<int> WithDescendants(int root, Dictionary<int, List<int>> children)
    {
        var pending = new Stack<int>([root]);
        var seen = new HashSet<int>();
        while (pending.Count > 0 && seen.Count < 10_000)
        {
            var pid = pending.Pop();
            if (!seen.Add(pid))
            {
                continue;
            }

            yield return pid;
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Push(child);
            }
        }
    }

    private static Dictionary<int, List<int>> ChildrenByParent()
    {
        var map = new Dictionary<int, List<int>>();
        foreach (var pid in ProcFs.Pids())
        {
            if (ProcFs.StatFields(pid) is { } fields && int.TryParse(fields[1], out var parent))
            {
                if (!map.TryGetValue(parent, out var list))
                {
                    map[parent] = list = [];
                }

                list.Add(pid);
            }
        }

        return map;
    }

    /// <summary>
    /// utime + stime + cutime + cstime: a child that exited between two samples (a PostgreSQL backend whose
    /// connection closed) leaves its time in its parent's cutime/cstime, so the group's total never drops.
    /// </summary>
    private static long? ReadTicks(int pid) =>
        ProcFs.StatFields(pid) is { } fields
            ? fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture))
            : null;

    private static double ReadMemoryMb(string path, string field)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kb is null ? 0 : long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Dictionary<string, int> FromPidFiles(string directory)
    {
        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!Directory.Exists(directory))
        {
            return roots;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.pid"))
        {
            if (int.TryParse(File.ReadAllText(file).Trim(), out var pid) && Directory.Exists($"/proc/{pid}"))
            {
                roots[Path.GetFileNameWithoutExtension(file)] = pid;
            }
        }

        return roots;
    }

    /// <summary>A PostgreSQL data directory's postmaster.pid starts with the postmaster's pid.</summary>
    private static Dictionary<string, int> FromPostmasterFiles(string dataDirectory)
    {
        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!Directory.Exists(dataDirectory))
        {
            return roots;
        }

        foreach (var cluster in Directory.EnumerateDirectories(dataDirectory))
        {
            var file = Path.Combine(cluster, "postmaster.pid");
            if (File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault()?.Trim(), out var pid) && Directory.Exists($"/proc/{pid}"))
            {
                roots[Path.GetFileName(cluster)] = pid;
            }
        }

        return roots;
    }

    /// <summary>Without pid files: every process whose command line names one of ours, top-most of its kind only.</summary>
    private static Dictionary<string, int> FromProcNames()
    {
        var found = new Dictionary<int, string>();
        foreach (var pid in ProcFs.Pids())
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }

            var known = KnownNames.FirstOrDefault(k => cmdline.Contains(k, StringComparison.Ordinal));
            if (known is not null)
            {
                found[pid] = known;
            }
        }

        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (pid, name) in found)
        {
            var parent = ProcFs.ParentOf(pid) ?? 0;
            if (found.GetValueOrDefault(parent) != name)
            {
                roots[$"{name}-{pid}"] = pid;
            }
        }

        return roots;
    }
}
