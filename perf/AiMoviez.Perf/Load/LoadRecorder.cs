using System.Diagnostics;
using HdrHistogram;

namespace AiMoviez.Perf.Load;

public sealed record OperationSummary(
    string Operation, long Count, long Succeeded, long Failed, double SucceededPerSecond,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs,
    IReadOnlyDictionary<string, long> Outcomes);

/// <summary>One second of a run: throughput and latency of the primary operation, and how stale public tallies were.</summary>
public sealed record TimelinePoint(
    int Second, long Completed, long Succeeded, long Failed, double P50Ms, double P99Ms, double? TallyStalenessMs, long? TallyBehindVotes);

/// <summary>
/// Latencies (HdrHistogram, microseconds, 3 significant digits) and outcomes per operation, plus a per-second
/// timeline of the primary operation. Latency runs from the intended send time, so a stalled server shows up as
/// latency instead of as fewer requests (no coordinated omission).
/// </summary>
public sealed class LoadRecorder(string primaryOperation)
{
    private const long HighestMicroseconds = 120_000_000;
    private const int Digits = 3;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, OperationStats> _operations = [];
    private readonly Dictionary<int, Bucket> _timeline = [];
    private long _startTimestamp = Stopwatch.GetTimestamp();
    private long _endTimestamp;

    /// <summary>Restarts the clock: the timeline and the rates count from here.</summary>
    public void Start() => _startTimestamp = Stopwatch.GetTimestamp();

    public void Stop() => _endTimestamp = Stopwatch.GetTimestamp();

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp, _endTimestamp == 0 ? Stopwatch.GetTimestamp() : _endTimestamp);

    public void Record(string operation, long intendedTimestamp, string outcome, bool succeeded)
    {
        var now = Stopwatch.GetTimestamp();
        var micros = Math.Clamp((long)Stopwatch.GetElapsedTime(intendedTimestamp, now).TotalMicroseconds, 1, HighestMicroseconds);
        var second = (int)Stopwatch.GetElapsedTime(_startTimestamp, now).TotalSeconds;
        lock (_lock)
        {
            if (!_operations.TryGetValue(operation, out var stats))
            {
                _operations[operation] = stats = new OperationStats();
            }

            stats.Histogram.RecordValue(micros);
            stats.Outcomes[outcome] = stats.Outcomes.GetValueOrDefault(outcome) + 1;
            if (succeeded)
            {
                stats.Succeeded++;
            }
            else
            {
                stats.Failed++;
            }

            if (operation == primaryOperation)
            {
                var bucket = BucketAt(second);
                bucket.Histogram.RecordValue(micros);
                if (succeeded)
                {
                    bucket.Succeeded++;
                }
                else
                {
                    bucket.Failed++;
                }
            }
        }
    }

    public void RecordTallySample(double stalenessMs, long behindVotes)
    {
        var second = (int)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        lock (_lock)
        {
            var bucket = BucketAt(second);
            bucket.TallyStalenessMs = stalenessMs;
            bucket.TallyBehindVotes = behindVotes;
        }
    }

    public (long Succeeded, long Failed, double P99Ms) Snapshot()
    {
        lock (_lock)
        {
            return _operations.TryGetValue(primaryOperation, out var stats)
                ? (stats.Succeeded, stats.Failed, Millis(stats.Histogram.GetValueAtPercentile(99)))
                : (0, 0, 0);
        }
    }

    public IReadOnlyList<OperationSummary> Summarize()
    {
        var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
        lock (_lock)
        {
            return _operations
                .OrderBy(o => o.Key == primaryOperation ? 0 : 1)
                .ThenBy(o => o.Key, StringComparer.Ordinal)
                .Select(o => new OperationSummary(
                    o.Key, o.Value.Succeeded + o.Value.Failed, o.Value.Succeeded, o.Value.Failed,
                    Math.Round(o.Value.Succeeded / seconds, 1),
                    Millis(o.Value.Histogram.GetValueAtPercentile(50)), Millis(o.Value.Histogram.GetValueAtPercentile(90)),
                    Millis(o.Value.Histogram.GetValueAtPercentile(99)), Millis(o.Value.Histogram.GetValueAtPercentile(99.9)),
                    Millis(o.Value.Histogram.GetMaxValue()),
                    new SortedDictionary<string, long>(o.Value.Outcomes, StringComparer.Ordinal)))
                .ToList();
        }
    }

    public IReadOnlyList<TimelinePoint> Timeline()
    {
        lock (_lock)
        {
            return _timeline.OrderBy(b => b.Key).Select(b => new TimelinePoint(
                b.Key, b.Value.Succeeded + b.Value.Failed, b.Value.Succeeded, b.Value.Failed,
                b.Value.Histogram.TotalCount == 0 ? 0 : Millis(b.Value.Histogram.GetValueAtPercentile(50)),
                b.Value.Histogram.TotalCount == 0 ? 0 : Millis(b.Value.Histogram.GetValueAtPercentile(99)),
                b.Value.TallyStalenessMs, b.Value.TallyBehindVotes)).ToList();
        }
    }

    private Bucket BucketAt(int second)
    {
        if (!_timeline.TryGetValue(second, out var bucket))
        {
            _timeline[second] = bucket = new Bucket();
        }

        return bucket;
    }

    private static double Millis(long micros) => Math.Round(micros / 1000.0, 3);

    private sealed class OperationStats
    {
        public LongHistogram Histogram { get; } = new(HighestMicroseconds, Digits);
        public Dictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);
        public long Succeeded { get; set; }
        public long Failed { get; set; }
    }

    private sealed class Bucket
    {
        // Two digits per second is plenty for a chart and keeps a long run's memory small.
        public LongHistogram Histogram { get; } = new(HighestMicroseconds, 2);
        public long Succeeded { get; set; }
        public long Failed { get; set; }
        public double? TallyStalenessMs { get; set; }
        public long? TallyBehindVotes { get; set; }
    }
}
