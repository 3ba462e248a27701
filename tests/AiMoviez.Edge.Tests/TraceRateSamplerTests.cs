using System.Diagnostics;
using AiMoviez.ServiceDefaults;
using OpenTelemetry.Trace;

namespace AiMoviez.Edge.Tests;

/// <summary>ServiceDefaults' cap on new traces per second (<c>Telemetry:MaxTracesPerSecond</c>), on a clock the test moves.</summary>
public sealed class TraceRateSamplerTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void New_traces_beyond_the_rate_are_dropped_until_the_bucket_refills()
    {
        var sampler = new TraceRateSampler(new AlwaysOnSampler(), 3, _clock);

        Assert.Equal(3, RootsRecorded(sampler, 10));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, RootsRecorded(sampler, 10));

        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(1, RootsRecorded(sampler, 10));

        // The bucket holds one second's worth, however long the process was quiet.
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(3, RootsRecorded(sampler, 10));
    }

    [Fact]
    public void Traces_the_ratio_drops_take_nothing_from_the_rate()
    {
        var dropping = new TraceRateSampler(new AlwaysOffSampler(), 3, _clock);
        Assert.Equal(0, RootsRecorded(dropping, 10));

        var keeping = new TraceRateSampler(new TraceIdRatioBasedSampler(1.0), 3, _clock);
        Assert.Equal(3, RootsRecorded(keeping, 10));
    }

    [Fact]
    public void A_span_whose_parent_was_recorded_is_recorded_when_the_rate_is_spent()
    {
        var sampler = new ParentBasedSampler(new TraceRateSampler(new AlwaysOnSampler(), 1, _clock));
        Assert.Equal(1, RootsRecorded(sampler, 5));

        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var child = sampler.ShouldSample(new SamplingParameters(parent, parent.TraceId, "send", ActivityKind.Producer));
        Assert.Equal(SamplingDecision.RecordAndSample, child.Decision);
    }

    private static int RootsRecorded(Sampler sampler, int count) =>
        Enumerable.Range(0, count).Count(_ => sampler.ShouldSample(
            new SamplingParameters(default, ActivityTraceId.CreateRandom(), "POST /v1/votes", ActivityKind.Server)).Decision
            == SamplingDecision.RecordAndSample);

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
