using System.Diagnostics;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Contracts;
using NATS.Client.Core;
using OpenTelemetry;
using OpenTelemetry.Trace;
using static AiMoviez.Aggregator.Tests.AggregatorFixture;

namespace AiMoviez.Aggregator.Tests;

/// <summary>The batch span and its links, in-process; the aggregator process's GET /metrics.</summary>
[Collection(AggregatorCollection.Name)]
public sealed class TelemetryTests(AggregatorFixture fixture)
{
    private static readonly ActivitySource Edge = new("AiMoviez.Aggregator.Tests.Edge");

    [Fact]
    public void Batch_span_links_every_sampled_vote_is_in_the_first_ones_trace_and_holds_the_shard_transaction()
    {
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(AggregatorTracing.SourceName, Edge.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();
        // Three votes sent by an edge (each its own trace), the second and third in one group message.
        var sends = Enumerable.Range(0, 3).Select(_ =>
        {
            using var send = Edge.StartActivity("send votes", ActivityKind.Producer, default(ActivityContext))!;
            return send.Context;
        }).ToList();
        var alone = new NatsHeaders { [AggregatorTracing.TraceParentHeader] = TraceParent(sends[0]) };
        var group = new NatsHeaders { [AggregatorTracing.TraceParentHeader] = new[] { TraceParent(sends[1]), TraceParent(sends[2]) } };
        var batch = new List<InboundMessage>
        {
            Message(AggregatorTracing.ContextOf(alone, 0, 1)),
            Message(AggregatorTracing.ContextOf(group, 0, 2)),
            Message(AggregatorTracing.ContextOf(group, 1, 2)),
            Message(AggregatorTracing.ContextOf(null, 0, 1)),
        };
        Assert.Equal(sends.Select(Ids), batch.Take(3).Select(m => Ids(m.Trace)));
        Assert.Equal(default, batch[3].Trace);

        using (var span = AggregatorTracing.StartBatch("shard-1", batch))
        {
            AiMoviez.ServiceDefaults.Spans.End(AggregatorTracing.StartTransaction("shard-1"));
        }

        tracing.ForceFlush();
        var process = Assert.Single(exported, a => a.DisplayName == "process shard-1");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(sends[0].TraceId, process.TraceId);
        Assert.Equal(sends[0].SpanId, process.ParentSpanId);
        Assert.Equal(sends.Select(Ids), process.Links.Select(l => Ids(l.Context)));
        Assert.Equal("nats", process.GetTagItem("messaging.system"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(4, process.GetTagItem("messaging.batch.message_count"));
        var transaction = Assert.Single(exported, a => a.DisplayName == "transaction shard-1");
        Assert.Equal(process.SpanId, transaction.ParentSpanId);
        Assert.Equal("postgresql", transaction.GetTagItem("db.system.name"));
    }

    [Fact]
    public void A_batch_is_in_the_trace_of_its_first_sampled_vote_and_links_only_sampled_ones()
    {
        var exported = new List<Activity>();
        // The services' sampler follows a remote parent's decision; AlwaysOff for a root leaves only what a parent samples.
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(AggregatorTracing.SourceName)
            .SetSampler(new ParentBasedSampler(new AlwaysOffSampler()))
            .AddInMemoryExporter(exported)
            .Build();
        var unsampled = Enumerable.Range(0, 2)
            .Select(_ => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None))
            .ToList();
        var sampled = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var group = new NatsHeaders
        {
            [AggregatorTracing.TraceParentHeader] = new[] { TraceParent(unsampled[0]), TraceParent(sampled), TraceParent(unsampled[1]) },
        };
        var mixed = Enumerable.Range(0, 3).Select(i => Message(AggregatorTracing.ContextOf(group, i, 3))).ToList();
        var onlyUnsampled = new List<InboundMessage> { mixed[0], mixed[2] };
        // As edges send them now: a group naming its sampled vote only, and a group with none sampled naming its first once.
        var named = new NatsHeaders { [AggregatorTracing.TraceParentHeader] = new[] { "", TraceParent(sampled), "" } };
        var namedOnce = new NatsHeaders { [AggregatorTracing.TraceParentHeader] = TraceParent(unsampled[0]) };
        var sampledNamed = Enumerable.Range(0, 3).Select(i => Message(AggregatorTracing.ContextOf(named, i, 3))).ToList();
        var unsampledOnce = Enumerable.Range(0, 3).Select(i => Message(AggregatorTracing.ContextOf(namedOnce, i, 3))).ToList();

        using (AggregatorTracing.StartBatch("shard-1", mixed))
        {
        }

        using (AggregatorTracing.StartBatch("shard-2", onlyUnsampled))
        {
        }

        using (AggregatorTracing.StartBatch("shard-3", sampledNamed))
        {
        }

        using (AggregatorTracing.StartBatch("shard-4", unsampledOnce))
        {
        }

        tracing.ForceFlush();
        var process = Assert.Single(exported, a => a.DisplayName == "process shard-1");
        Assert.Equal(sampled.TraceId, process.TraceId);
        Assert.Equal(sampled.SpanId, process.ParentSpanId);
        Assert.Equal([Ids(sampled)], process.Links.Select(l => Ids(l.Context)));
        Assert.DoesNotContain(exported, a => a.DisplayName == "process shard-2");
        var processNamed = Assert.Single(exported, a => a.DisplayName == "process shard-3");
        Assert.Equal(sampled.SpanId, processNamed.ParentSpanId);
        Assert.Equal([Ids(sampled)], processNamed.Links.Select(l => Ids(l.Context)));
        Assert.DoesNotContain(exported, a => a.DisplayName == "process shard-4");
    }

    [Fact]
    public async Task Metrics_answer_in_prometheus_text_by_region_and_shard()
    {
        var (number, season, clip) = (SeasonOn("shard-1"), Guid.NewGuid(), Guid.NewGuid());
        await fixture.PublishAsync(Vote(number, season, clip, "user_metrics"));

        var text = await Eventually.UntilAsync(() => fixture.Http.GetStringAsync("/metrics"),
            t => t.Contains("aimoviez_aggregator_tally_staleness_seconds_bucket{", StringComparison.Ordinal)
                && t.Contains("aimoviez_aggregator_stream_depth{", StringComparison.Ordinal)
                && t.Contains("aimoviez_aggregator_consumer_lag{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the aggregator's metrics after a vote");
        Assert.Contains("aimoviez_aggregator_batch_size_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("aimoviez_aggregator_commit_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("aimoviez_aggregator_votes_counted_total{", text, StringComparison.Ordinal);
        Assert.Contains("aimoviez_aggregator_consumer_oldest_unacked_age_seconds{", text, StringComparison.Ordinal);
        Assert.Contains("shard=\"shard-1\"", text, StringComparison.Ordinal);
        Assert.Contains("region=\"us-east\"", text, StringComparison.Ordinal);
    }

    private static InboundMessage Message(ActivityContext trace) =>
        new("us-east", "shard-1", 1, AggregatorFixture.Vote(1, Guid.NewGuid(), Guid.NewGuid(), "device_traced"), Delivery: null!, FirstDelivery: true)
        {
            Trace = trace,
        };

    private static (ActivityTraceId, ActivitySpanId) Ids(ActivityContext context) => (context.TraceId, context.SpanId);

    private static string TraceParent(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";
}
