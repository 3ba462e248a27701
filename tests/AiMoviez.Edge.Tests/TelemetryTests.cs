using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using NATS.Client.Core;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AiMoviez.Edge.Tests;

/// <summary>The edge's spans and W3C trace context in the NATS headers (in-process), and its GET /metrics (the process).</summary>
[Collection(EdgeCollection.Name)]
public sealed class TelemetryTests(EdgeStack stack)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);
    private static readonly ActivitySource Requests = new("AiMoviez.Edge.Tests.Requests");

    [Fact]
    public async Task Each_vote_has_a_send_span_under_its_request_and_its_message_carries_one_traceparent_per_vote()
    {
        var exported = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(EdgeTelemetry.SourceName, Requests.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();
        var received = new ConcurrentQueue<(string Subject, NatsHeaders? Headers, byte[] Data)>();
        await using var casts = await stack.Bus.SubscribeCoreAsync(Subjects.VoteLane(EdgeStack.Region, "*"), serializer: NatsRawSerializer<byte[]>.Default);
        var reading = Task.Run(async () =>
        {
            await foreach (var message in casts.Msgs.ReadAllAsync())
            {
                received.Enqueue((message.Subject, message.Headers, message.Data ?? []));
            }
        });
        await stack.Bus.PingAsync();
        var publisher = VotePublisherTests.Publisher(stack.JetStream, EdgeStack.Region);

        // Each vote in a request span of its own, in a trace of its own; those arriving during a publish go out together.
        var votes = Enumerable.Range(0, 100).Select(i => VotePublisherTests.Vote($"user_traced_{i}")).ToList();
        var requestOf = new Dictionary<Guid, ActivityContext>();
        var published = new List<Task>();
        foreach (var vote in votes)
        {
            using var request = Requests.StartActivity("POST /v1/votes", ActivityKind.Server)!;
            requestOf[vote.VoteId] = request.Context;
            published.Add(publisher.PublishAsync(vote));
        }

        await Task.WhenAll(published);
        tracing.ForceFlush();
        var ids = votes.Select(v => v.VoteId).ToHashSet();
        var messages = await Eventually.UntilAsync(() => Task.FromResult(received.Select(m => (m.Subject, m.Headers, Votes: VotesOf(m.Subject, m.Data)))
                .Where(m => m.Votes.Any(v => ids.Contains(v.VoteId))).ToList()),
            ms => ms.Sum(m => m.Votes.Count) >= votes.Count, Soon, "every vote's message");
        Assert.Contains(messages, m => m.Votes.Count > 1);

        var sends = exported.Where(a => a.Source.Name == EdgeTelemetry.SourceName).ToDictionary(a => a.SpanId);
        foreach (var (subject, headers, carried) in messages)
        {
            Assert.NotNull(headers);
            var values = headers[VotePublisher.TraceParentHeader];
            Assert.Equal(carried.Count, values.Count);
            for (var i = 0; i < carried.Count; i++)
            {
                Assert.True(ActivityContext.TryParse(values[i], null, out var context), values[i]);
                var request = requestOf[carried[i].VoteId];
                Assert.Equal(request.TraceId, context.TraceId);
                var send = sends[context.SpanId];
                Assert.Equal(request.SpanId, send.ParentSpanId);
                Assert.Equal(ActivityKind.Producer, send.Kind);
                Assert.Equal("send " + subject, send.DisplayName);
                Assert.Equal("nats", send.GetTagItem("messaging.system"));
                Assert.Equal(subject, send.GetTagItem("messaging.destination.name"));
                Assert.Equal(carried.Count, send.GetTagItem("messaging.batch.message_count"));
            }
        }

        await casts.UnsubscribeAsync();
        await reading;
    }

    [Fact]
    public async Task Without_a_tracer_no_span_is_started_and_no_trace_header_is_sent()
    {
        await using var casts = await stack.Bus.SubscribeCoreAsync(Subjects.VoteLane(EdgeStack.Region, "*"), serializer: NatsRawSerializer<byte[]>.Default);
        await stack.Bus.PingAsync();
        var publisher = VotePublisherTests.Publisher(stack.JetStream, EdgeStack.Region);
        var vote = VotePublisherTests.Vote("user_untraced");

        Assert.False(EdgeTelemetry.Source.HasListeners());
        await publisher.PublishAsync(vote);

        var message = await Eventually.UntilAsync(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                var next = await casts.Msgs.ReadAsync(timeout.Token);
                return VotesOf(next.Subject, next.Data ?? []).Any(v => v.VoteId == vote.VoteId) ? next : (NatsMsg<byte[]>?)null;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }, m => m is not null, Soon, "the vote's message");
        Assert.False(message!.Value.Headers?.ContainsKey(VotePublisher.TraceParentHeader) ?? false);
    }

    [Fact]
    public async Task Metrics_answer_in_prometheus_text_with_the_votes_by_region_shard_and_code()
    {
        using var accepted = await stack.VoteAsync(EdgeStack.NewBrowser(), stack.Season.Clips[1].Id);
        await accepted.AssertAcceptedAsync();
        using var refused = await stack.VoteAsync(EdgeStack.NewBrowser(), stack.Season.NotVotableClipIds[0]);
        Assert.False(refused.IsSuccessStatusCode);

        // Metrics are collected at the scrape; the exporter caches a scrape for a moment, so look until both show.
        var text = await Eventually.UntilAsync(() => stack.Direct.GetStringAsync(stack.Edge.BaseUrl + "/metrics"),
            t => t.Contains("code=\"CLIP_NOT_VOTABLE\"", StringComparison.Ordinal) && t.Contains("outcome=\"accepted\"", StringComparison.Ordinal),
            Soon, "both votes counted in /metrics");
        Assert.Contains("aimoviez_edge_votes_total{", text, StringComparison.Ordinal);
        Assert.Contains("region=\"us-east\"", text, StringComparison.Ordinal);
        Assert.Contains("shard=\"shard-1\"", text, StringComparison.Ordinal);
        Assert.Contains("aimoviez_edge_publish_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("aimoviez_edge_redis_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    private static List<VoteCast> VotesOf(string subject, byte[] data) => Subjects.VoteKindOf(subject) switch
    {
        VoteSubjectKind.Casts => JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCasts)!.Votes.ToList(),
        VoteSubjectKind.Cast => [JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCast)!],
        _ => [],
    };
}
