using OpenTelemetry.Trace;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// Keeps what <paramref name="inner"/> keeps, at most <paramref name="tracesPerSecond"/> of it per second (a token bucket
/// holding one second's worth): a developer's few requests are all recorded, while a load of thousands of requests a
/// second sends the collector a steady sample instead of every request.
/// </summary>
internal sealed class TraceRateSampler(Sampler inner, double tracesPerSecond, TimeProvider time) : Sampler
{
    private readonly Lock _bucket = new();
    private readonly double _perSecond = tracesPerSecond;
    private double _tokens = tracesPerSecond;
    private long _refilledAt = time.GetTimestamp();

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var result = inner.ShouldSample(samplingParameters);
        if (result.Decision == SamplingDecision.Drop || TryTake())
        {
            return result;
        }

        return new SamplingResult(SamplingDecision.Drop);
    }

    private bool TryTake()
    {
        lock (_bucket)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(_perSecond, _tokens + time.GetElapsedTime(_refilledAt, now).TotalSeconds * _perSecond);
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }
}
