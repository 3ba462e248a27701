using System.Diagnostics;

namespace AiMoviez.Perf.Load;

public sealed record ClosedLoopSettings
{
    public required int Workers { get; init; }
    public required long MaxOperations { get; init; }
    public required TimeSpan MaxDuration { get; init; }
}

/// <summary>
/// A closed-model load: N workers each send the next request as soon as the previous answered, until the count or
/// the time runs out. This finds "as fast as it takes them"; latency is from each actual send.
/// </summary>
public static class ClosedLoopDriver
{
    public static async Task<DriverResult> RunAsync(
        ClosedLoopSettings settings, Func<long, CancellationToken, Task<bool>> sendAsync, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(settings.MaxDuration.TotalSeconds * Stopwatch.Frequency);
        long claimed = 0;

        var workers = Enumerable.Range(0, settings.Workers).Select(_ => Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested
                   && Stopwatch.GetTimestamp() < deadline
                   && Interlocked.Increment(ref claimed) <= settings.MaxOperations)
            {
                if (!await sendAsync(Stopwatch.GetTimestamp(), cancellationToken))
                {
                    return;
                }
            }
        }, CancellationToken.None));
        await Task.WhenAll(workers);
        return new DriverResult(Math.Min(Interlocked.Read(ref claimed), settings.MaxOperations), Stopwatch.GetElapsedTime(start));
    }
}
