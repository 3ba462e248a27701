using System.Collections.Concurrent;
using System.Diagnostics;
using AiMoviez.Perf.Load;
using AiMoviez.Perf.Scenarios;

namespace AiMoviez.Perf.Tests;

public sealed class OpenLoopDriverTests
{
    private const string Operation = "vote";
    // The outcome the sustained and mixed scenarios record for a vote that never got an in-flight slot.
    private const string NeverSent = VoteLoadSession.NeverSentOutcome;

    public OpenLoopDriverTests()
    {
        // As the tool does at start (PerfProgram): the test host blocks pool threads of its own, and on 2 cores the
        // sends' continuations would otherwise wait hundreds of ms for the pool to grow.
        ThreadPool.SetMinThreads(64, 64);
    }

    [Fact]
    public async Task Requests_queued_behind_a_stall_are_measured_from_their_intended_send_time()
    {
        // One connection to a server that stalls once for 300 ms: the 60 requests due meanwhile wait for the slot.
        // Measured from the actual send (coordinated omission) only the stalled request would look slow.
        var recorder = new LoadRecorder(Operation);
        var latencies = new ConcurrentBag<double>();
        var calls = 0;
        var settings = new OpenLoopSettings { RatePerSecond = 200, Duration = TimeSpan.FromSeconds(1), MaxInFlight = 1, Grace = TimeSpan.FromSeconds(5) };

        recorder.Start();
        var result = await OpenLoopDriver.RunAsync(settings, async (intended, token) =>
        {
            if (Interlocked.Increment(ref calls) == 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), token);
            }

            latencies.Add(Stopwatch.GetElapsedTime(intended).TotalMilliseconds);
            recorder.Record(Operation, intended, "202", succeeded: true);
            return true;
        }, intended => recorder.Record(Operation, intended, NeverSent, succeeded: false), CancellationToken.None);
        recorder.Stop();

        Assert.Equal(200, result.Issued);
        Assert.Equal(200, latencies.Count);
        Assert.True(latencies.Max() >= 250, $"max {latencies.Max():0.0} ms");
        // About 40 requests were due in the stall's first 200 ms; half of that leaves room for a slow machine.
        var slow = latencies.Count(l => l >= 100);
        Assert.True(slow >= 20, $"{slow} samples >= 100 ms");

        // The tool's own histogram sees the same: at least 10 % of the samples at 100 ms or more, while the median
        // stays low (the slowness is the stall's, not the driver's own lateness).
        var votes = Assert.Single(recorder.Summarize());
        Assert.Equal(200, votes.Count);
        Assert.True(votes.MaxMs >= 250, $"recorded max {votes.MaxMs} ms");
        Assert.True(votes.P90Ms >= 100, $"recorded p90 {votes.P90Ms} ms");
        Assert.True(votes.P50Ms < 50, $"recorded p50 {votes.P50Ms} ms");
    }

    [Fact]
    public async Task Stops_by_itself_at_its_duration_and_sends_nothing_before_it_is_due()
    {
        var early = 0;
        var intendedTimes = new ConcurrentBag<long>();
        var settings = new OpenLoopSettings { RatePerSecond = 200, Duration = TimeSpan.FromMilliseconds(500), MaxInFlight = 8 };

        var result = await OpenLoopDriver.RunAsync(settings, (intended, _) =>
        {
            if (Stopwatch.GetTimestamp() < intended)
            {
                Interlocked.Increment(ref early);
            }

            intendedTimes.Add(intended);
            return Task.FromResult(true);
        }, _ => throw new InvalidOperationException("nothing should be left unsent"), CancellationToken.None);

        Assert.Equal(100, result.Issued);
        Assert.Equal(0, early);
        // The 30 s default grace is for stragglers only: with none, the driver ends with its schedule.
        Assert.InRange(result.Elapsed.TotalSeconds, 0.49, 3);
        // The schedule is start + i / rate: 100 sends 5 ms apart span 495 ms.
        var ordered = intendedTimes.Order().ToList();
        Assert.Equal(100, ordered.Distinct().Count());
        Assert.InRange(Stopwatch.GetElapsedTime(ordered[0], ordered[^1]).TotalMilliseconds, 494.9, 495.1);
    }

    [Fact]
    public async Task Requests_that_fell_due_between_ticks_leave_together_in_one_write_batch()
    {
        // 100 requests 10 ms apart, a 200 ms tick: they leave in groups of about 20, each inside one write batch.
        var sends = new ConcurrentQueue<(long At, bool InBatch)>();
        var settings = new OpenLoopSettings
        {
            RatePerSecond = 100, Duration = TimeSpan.FromSeconds(1), MaxInFlight = 200, Tick = TimeSpan.FromMilliseconds(200),
        };

        var result = await OpenLoopDriver.RunAsync(settings, (_, _) =>
        {
            sends.Enqueue((Stopwatch.GetTimestamp(), WriteBatch.IsOpen));
            return Task.FromResult(true);
        }, _ => throw new InvalidOperationException("nothing should be left unsent"), CancellationToken.None);

        Assert.Equal(100, result.Issued);
        Assert.All(sends, send => Assert.True(send.InBatch));
        var times = sends.Select(send => send.At).Order().ToList();
        // Sent one by one, each would be a group of its own, 10 ms after the last; the slack is for a preempted issuer.
        var groups = 1 + times.Zip(times.Skip(1)).Count(pair => Stopwatch.GetElapsedTime(pair.First, pair.Second) > TimeSpan.FromMilliseconds(5));
        Assert.InRange(groups, 1, 12);
    }

    [Fact]
    public async Task Stops_issuing_when_the_operation_says_the_plan_is_exhausted()
    {
        var calls = 0;
        var settings = new OpenLoopSettings { RatePerSecond = 200, Duration = TimeSpan.FromSeconds(30), MaxInFlight = 4 };

        var result = await OpenLoopDriver.RunAsync(settings,
            (_, _) => Task.FromResult(Interlocked.Increment(ref calls) < 10), _ => { }, CancellationToken.None);

        Assert.InRange(result.Issued, 10, 50);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(5), $"ran {result.Elapsed}");
    }

    [Fact]
    public async Task Requests_due_but_never_sent_are_recorded_as_failures_with_their_wait()
    {
        // A server that never answers, one connection, 0.2 s grace: one request hangs in flight, the other 29 of the
        // 0.3 s schedule wait for the slot until the grace ends. They were due, so they must count, not vanish.
        var recorder = new LoadRecorder(Operation);
        var neverSent = 0;
        var settings = new OpenLoopSettings { RatePerSecond = 100, Duration = TimeSpan.FromMilliseconds(300), MaxInFlight = 1, Grace = TimeSpan.FromMilliseconds(200) };

        recorder.Start();
        var result = await OpenLoopDriver.RunAsync(settings, async (intended, token) =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }
            catch (OperationCanceledException)
            {
                // What PublicApiClient reports for a request cancelled at the end of the grace period.
                recorder.Record(Operation, intended, "cancelled", succeeded: false);
            }

            return true;
        }, intended =>
        {
            Interlocked.Increment(ref neverSent);
            recorder.Record(Operation, intended, NeverSent, succeeded: false);
        }, CancellationToken.None);
        recorder.Stop();

        Assert.Equal(30, result.Issued);
        Assert.Equal(29, neverSent);
        Assert.InRange(result.Elapsed.TotalSeconds, 0.45, 5);
        var votes = Assert.Single(recorder.Summarize());
        Assert.Equal(30, votes.Count);
        Assert.Equal(30, votes.Failed);
        Assert.Equal(29, votes.Outcomes[NeverSent]);
        Assert.Equal(1, votes.Outcomes["cancelled"]);
        // The second request was due at 10 ms and gave up at about 500 ms: its wait is its latency.
        Assert.True(votes.MaxMs >= 400, $"recorded max {votes.MaxMs} ms");
    }

    [Fact]
    public async Task Requests_the_issuer_never_got_to_are_counted_as_never_sent()
    {
        // The first send holds the issuer itself for 400 ms (as a send doing synchronous work, or a starved pool,
        // would), past the 0.2 s schedule and its 0.1 s grace: the other 19 requests were due but never handed out.
        var recorder = new LoadRecorder(Operation);
        using var held = new ManualResetEventSlim();
        var calls = 0;
        var settings = new OpenLoopSettings { RatePerSecond = 100, Duration = TimeSpan.FromMilliseconds(200), MaxInFlight = 4, Grace = TimeSpan.FromMilliseconds(100) };

        recorder.Start();
        var result = await OpenLoopDriver.RunAsync(settings, (intended, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                held.Wait(TimeSpan.FromMilliseconds(400));
            }

            recorder.Record(Operation, intended, "202", succeeded: true);
            return Task.FromResult(true);
        }, intended => recorder.Record(Operation, intended, NeverSent, succeeded: false), CancellationToken.None);
        recorder.Stop();

        Assert.Equal(1, result.Issued);
        var votes = Assert.Single(recorder.Summarize());
        Assert.Equal(20, votes.Count);
        Assert.Equal(19, votes.Outcomes[NeverSent]);
        // The second request was due at 10 ms and written off at about 400 ms.
        Assert.True(votes.MaxMs >= 350, $"recorded max {votes.MaxMs} ms");
    }

    [Fact]
    public async Task The_report_notes_name_what_became_of_the_requests_given_up_on()
    {
        // Two in-flight slots, held by requests nothing answers until the grace period ends: then one is cancelled and
        // the other is answered (202) as the cancellation goes out. The other 18 never got a slot. 20 were pending at
        // the end, but the notes must say 18 never sent and 1 cancelled.
        var recorder = new LoadRecorder(Operation);
        var calls = 0;
        var settings = new OpenLoopSettings { RatePerSecond = 100, Duration = TimeSpan.FromMilliseconds(200), MaxInFlight = 2, Grace = TimeSpan.FromMilliseconds(200) };

        recorder.Start();
        await OpenLoopDriver.RunAsync(settings, async (intended, token) =>
        {
            var answersAnyway = Interlocked.Increment(ref calls) == 1;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }
            catch (OperationCanceledException) when (!answersAnyway)
            {
                recorder.Record(Operation, intended, CallOutcome.Cancelled, succeeded: false);
                return true;
            }
            catch (OperationCanceledException)
            {
                // The response that was already on its way when the cancellation went out.
            }

            recorder.Record(Operation, intended, "202", succeeded: true);
            return true;
        }, intended => recorder.Record(Operation, intended, NeverSent, succeeded: false), CancellationToken.None);
        recorder.Stop();

        var votes = Assert.Single(recorder.Summarize());
        Assert.Equal(20, votes.Count);
        Assert.Equal(
            [
                "18 votes were due but never sent: every in-flight slot stayed taken until the grace period ended.",
                "1 vote was still in flight when the grace period ended, and cancelled.",
            ],
            VoteLoadRun.LoadNotes(votes));
        Assert.Empty(VoteLoadRun.LoadNotes(null));
    }
}
