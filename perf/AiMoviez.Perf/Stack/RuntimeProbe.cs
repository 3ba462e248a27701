using System.Globalization;

namespace AiMoviez.Perf.Stack;

/// <summary>The .NET runtime's running totals in one service at one moment (the System.Runtime meter's counters).</summary>
public sealed record RuntimeReading(double AllocatedBytes, double ThreadPoolWorkItems, double Gen0Collections, double LockContentions);

/// <summary>The readings of every .NET service that answered, by process name, at one moment.</summary>
public sealed record RuntimeSnapshot(IReadOnlyDictionary<string, RuntimeReading> Services);

/// <summary>
/// Reads the runtime counters of the stack's .NET services (core, the aggregators, the edges) from their
/// <c>GET /metrics</c>. They say what CPU per vote does not: how much a vote allocates, and how many thread-pool work
/// items (hand-overs between threads, each a possible wake-up) it takes.
/// </summary>
public sealed class RuntimeProbe(HttpClient http, IReadOnlyList<(string Name, Uri Url)> services)
{
    private const string AllocatedBytes = "dotnet_gc_heap_total_allocated_bytes_total";
    private const string WorkItems = "dotnet_thread_pool_work_item_count_total";
    private const string Collections = "dotnet_gc_collections_total";
    private const string Gen0 = "gc_heap_generation=\"gen0\"";
    private const string LockContentions = "dotnet_monitor_lock_contentions_total";

    /// <summary>A service that does not answer, or whose metrics lack the counters, is left out rather than guessed.</summary>
    public async Task<RuntimeSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var readings = await Task.WhenAll(services.Select(async service =>
        {
            try
            {
                return (service.Name, Reading: Parse(await http.GetStringAsync(new Uri(service.Url, "/metrics"), cancellationToken)));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (service.Name, Reading: null);
            }
        }));
        return new RuntimeSnapshot(readings.Where(r => r.Reading is not null)
            .ToDictionary(r => r.Name, r => r.Reading!, StringComparer.Ordinal));
    }

    /// <summary>The counters from Prometheus text; null when the allocation or work-item counter is missing.</summary>
    public static RuntimeReading? Parse(string text)
    {
        double? allocated = null, workItems = null;
        double gen0 = 0, contentions = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space < 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var series = line[..space];
            var brace = series.IndexOf('{');
            var name = brace < 0 ? series : series[..brace];
            if (name.SequenceEqual(AllocatedBytes))
            {
                allocated = (allocated ?? 0) + value;
            }
            else if (name.SequenceEqual(WorkItems))
            {
                workItems = (workItems ?? 0) + value;
            }
            else if (name.SequenceEqual(Collections) && series.Contains(Gen0, StringComparison.Ordinal))
            {
                gen0 += value;
            }
            else if (name.SequenceEqual(LockContentions))
            {
                contentions += value;
            }
        }

        return allocated is { } a && workItems is { } w ? new RuntimeReading(a, w, gen0, contentions) : null;
    }
}
