using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Votes;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// The edge's spans (source <see cref="SourceName"/>) and instruments (meter <see cref="MeterName"/>), tagged with its
/// region and, where a vote has one, its season's shard. Span and attribute names follow the OpenTelemetry messaging
/// and database conventions.
/// </summary>
internal sealed class EdgeTelemetry
{
    public const string SourceName = "AiMoviez.Edge";
    public const string MeterName = "AiMoviez.Edge";

    /// <summary>No tracer listens unless an OTLP endpoint is set: then every StartActivity returns null at once.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    private readonly KeyValuePair<string, object?> _region;
    private readonly ShardMap _shards;
    private readonly Counter<long> _votes;
    private readonly Histogram<double> _publishDuration;
    private readonly Histogram<double> _redisDuration;
    private readonly Histogram<double> _captchaDuration;
    private readonly UpDownCounter<long> _sseSubscribers;

    public EdgeTelemetry(IMeterFactory meterFactory, RegionTopology region, ShardMap shards)
    {
        _region = new("region", region.Name);
        _shards = shards;
        var meter = meterFactory.Create(MeterName);
        _votes = meter.CreateCounter<long>("aimoviez.edge.votes", "{vote}", "Vote requests answered, by outcome (accepted, refused) and refusal code.");
        _publishDuration = meter.CreateHistogram<double>("aimoviez.edge.publish.duration", "s",
            "From a vote message's JetStream publish to its PubAck.");
        _redisDuration = meter.CreateHistogram<double>("aimoviez.edge.redis.duration", "s", "The vote script's call to Redis.");
        _captchaDuration = meter.CreateHistogram<double>("aimoviez.edge.captcha.duration", "s",
            "A vote's captcha check with the siteverify endpoint, while captcha is required.");
        _sseSubscribers = meter.CreateUpDownCounter<long>("aimoviez.edge.sse.subscribers", "{subscriber}", "Open tally event streams.");
    }

    /// <param name="view">The catalog, to find the shard of the voted clip's season.</param>
    public void VoteAnswered(CastOutcome outcome, CatalogView? view, string? clipId)
    {
        var shard = "none";
        if (view is not null && Guid.TryParse(clipId, out var clip) && view.TryGetClip(clip, out var season, out _))
        {
            shard = _shards.ShardFor(season.Number) ?? shard;
        }

        _votes.Add(1, _region, new("shard", shard), new("outcome", outcome.Accepted is null ? "refused" : "accepted"),
            new("code", outcome.Code ?? "OK"));
    }

    public void VoteRefused(string code) =>
        _votes.Add(1, _region, new("shard", "none"), new("outcome", "refused"), new("code", code));

    public void Published(string lane, long startedAt) =>
        _publishDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, _region, new("shard", lane));

    public void RedisCalled(long startedAt) => _redisDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, _region);

    public void CaptchaChecked(long startedAt) => _captchaDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, _region);

    public void SubscriberJoined() => _sseSubscribers.Add(1, _region);

    public void SubscriberLeft() => _sseSubscribers.Add(-1, _region);

    /// <summary>The span of a vote's Redis script call, a child of its request's span; null when not traced.</summary>
    public static Activity? StartRedisScript(string script)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var span = Source.StartActivity("EVALSHA", ActivityKind.Client);
        span?.SetTag("db.system.name", "redis");
        span?.SetTag("db.operation.name", "EVALSHA");
        span?.SetTag("db.stored_procedure.name", script);
        return span;
    }
}
