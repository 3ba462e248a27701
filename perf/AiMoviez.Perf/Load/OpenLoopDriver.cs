using System.Diagnostics;

namespace AiMoviez.Perf.Load;

public sealed record OpenLoopSettings
{
    public required double RatePerSecond { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>Requests in flight at most; beyond it requests queue, and their queueing counts as latency.</summary>
    public required int MaxInFlight { get; init; }
    /// <summary>How long after the last intended send the stragglers may still finish before they are cancelled.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long the issuer sleeps between sends: the requests that fell due meanwhile leave together. perf/RESULTS.md
    /// has why this length, and what a shorter one costs the edges.
    /// </summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(4);
}

/// <param name="Issued">Requests handed to the send function, whether or not they got an in-flight slot.</param>
public sealed record DriverResult(long Issued, TimeSpan Elapsed);

/// <summary>
/// An open-model load: request i is due at start + i / rate whether or not earlier ones have answered, and is handed
/// its intended send time so latency is measured from it (no coordinated omission). Bounded by count and by time.
/// </summary>
public static class OpenLoopDriver
{
    /// <param name="onNeverSent">
    /// Called with the intended send time of a request still queued for an in-flight slot when the grace period
    /// ended: it was due and never went out, which the caller records as a failure, not as nothing.
    /// </param>
    public static async Task<DriverResult> RunAsync(
        OpenLoopSettings settings, Func<long, CancellationToken, Task<bool>> sendAsync, Action<long> onNeverSent,
        CancellationToken cancellationToken)
    {
        var total = (long)(settings.RatePerSecond * settings.Duration.TotalSeconds);
        var ticksPerRequest = Stopwatch.Frequency / settings.RatePerSecond;
        using var inFlight = new SemaphoreSlim(settings.MaxInFlight);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tracker = new PendingTracker();
        var start = Stopwatch.GetTimestamp();
        var stopIssuingAt = start + (long)((settings.Duration + settings.Grace).TotalSeconds * Stopwatch.Frequency);
        long issued = 0;
        var exhausted = false;

        // The issuer has a thread of its own that sleeps between ticks: a Task.Delay tick woke the runtime's timer
        // thread and then a pool worker, two wake-ups where one does.
        await Task.Factory.StartNew(() =>
        {
            while (issued < total && !exhausted && !cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < stopIssuingAt)
            {
                var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * settings.RatePerSecond) + 1);
                // The requests due in one tick leave together, one write per connection (WriteBatch).
                using (WriteBatch.Open())
                {
                    for (; issued < due; issued++)
                    {
                        var intended = start + (long)(issued * ticksPerRequest);
                        tracker.Add(SendOneAsync(intended));
                    }
                }

                Thread.Sleep(settings.Tick);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // An issuer that fell more than the grace period behind (its thread starved of CPU) stopped with requests due
        // that it never handed out: they were due all the same, so they count as never sent instead of vanishing.
        if (!exhausted && !cancellationToken.IsCancellationRequested)
        {
            for (var next = issued; next < total; next++)
            {
                onNeverSent(start + (long)(next * ticksPerRequest));
            }
        }

        // Stragglers get the grace period, counted from the end of the schedule, then are cancelled.
        var scheduleEnd = start + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var graceLeft = TimeSpan.FromSeconds(Math.Max(0, (scheduleEnd - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency)) + settings.Grace;
        await tracker.WaitAllAsync(graceLeft);
        await abandon.CancelAsync();
        await tracker.WaitAllAsync(TimeSpan.FromSeconds(15));
        return new DriverResult(issued, Stopwatch.GetElapsedTime(start));

        async Task SendOneAsync(long intended)
        {
            try
            {
                await inFlight.WaitAsync(abandon.Token);
            }
            catch (OperationCanceledException)
            {
                onNeverSent(intended);
                return;
            }

            if (abandon.IsCancellationRequested)
            {
                // The slot was freed by the cancellation itself (a cancelled request releasing it), after the grace
                // period: this request never went out, and sending it now would only report it as cancelled.
                inFlight.Release();
                onNeverSent(intended);
                return;
            }

            try
            {
                if (!await sendAsync(intended, abandon.Token))
                {
                    exhausted = true;
                }
            }
            finally
            {
                inFlight.Release();
            }
        }
    }
}

/// <summary>Counts unfinished requests without keeping every Task alive (a long run issues hundreds of thousands).</summary>
internal sealed class PendingTracker
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pending = 1; // The issuer's own reference, released by WaitAllAsync.
    private int _closed;

    public void Add(Task task)
    {
        Interlocked.Increment(ref _pending);
        task.ContinueWith(static (_, state) => ((PendingTracker)state!).Done(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async Task WaitAllAsync(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Done();
        }

        await Task.WhenAny(_drained.Task, Task.Delay(timeout));
    }

    private void Done()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
