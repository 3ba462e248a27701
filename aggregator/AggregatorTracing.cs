using System.Diagnostics;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Contracts;
using NATS.Client.Core;

namespace AiMoviez.Aggregator;

/// <summary>
/// The aggregator's spans (source <see cref="SourceName"/>), named by the OpenTelemetry messaging and database
/// conventions: a shard batch's <c>process</c> span, linked to the send span of every vote it applied (their W3C trace
/// context comes in the message headers, one <c>traceparent</c> value per vote), and its shard transaction.
/// </summary>
internal static class AggregatorTracing
{
    public const string SourceName = "AiMoviez.Aggregator";
    public const string TraceParentHeader = "traceparent";

    /// <summary>No tracer listens unless an OTLP endpoint is set: then nothing is parsed and no span is started.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The trace context the edge sent for the message's <paramref name="part"/>-th event (of <paramref name="parts"/>).</summary>
    public static ActivityContext ContextOf(NatsHeaders? headers, int part, int parts)
    {
        if (headers is null || !Source.HasListeners() || !headers.TryGetValue(TraceParentHeader, out var values))
        {
            return default;
        }

        // Not one value per vote: the message's first context stands for all of its votes.
        var value = values.Count == parts ? values[part] : values[0];
        return ActivityContext.TryParse(value, null, isRemote: true, out var context) ? context : default;
    }

    /// <summary>
    /// The span of a shard batch: a child of its first sampled vote (so that vote's trace reaches the aggregator), linked
    /// to every sampled vote; null when not traced. A message whose votes none were sampled carries its first vote's
    /// context once, with that decision (older edges sent every vote's): a batch with only such votes follows the first
    /// one and is not sampled either. Nothing records those votes' traces, so they are neither the parent nor linked:
    /// under load nearly every batch begins with one, and the batch's span would otherwise be dropped, or name thousands
    /// of votes no trace holds.
    /// </summary>
    public static Activity? StartBatch(string shard, List<InboundMessage> batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var links = new List<ActivityLink>();
        ActivityContext firstTraced = default;
        foreach (var message in batch)
        {
            if (message.Trace.TraceFlags.HasFlag(ActivityTraceFlags.Recorded))
            {
                links.Add(new ActivityLink(message.Trace));
            }
            else if (firstTraced == default)
            {
                firstTraced = message.Trace;
            }
        }

        var parent = links.Count > 0 ? links[0].Context : firstTraced;
        var span = Source.StartActivity("process " + shard, ActivityKind.Consumer, parent, links: links);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("messaging.system", "nats");
            span.SetTag("messaging.operation.type", "process");
            span.SetTag("messaging.operation.name", "process");
            span.SetTag("messaging.destination.name", shard);
            span.SetTag("messaging.consumer.group.name", "aggregator");
            span.SetTag("messaging.batch.message_count", batch.Count);
            span.SetTag("aimoviez.shard", shard);
        }

        return span;
    }

    /// <summary>The span of a batch's shard transaction, a child of the batch's span; null when not traced.</summary>
    public static Activity? StartTransaction(string shard)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var span = Source.StartActivity("transaction " + shard, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("db.system.name", "postgresql");
            span.SetTag("db.namespace", shard);
            span.SetTag("db.operation.name", "transaction");
        }

        return span;
    }
}
