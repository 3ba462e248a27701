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
        await using var capture = await MessageCapture.StartAsync(stack);
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
        var messages = await capture.MessagesOfAsync(votes);
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
    }

    [Fact]
    public async Task A_message_names_only_its_sampled_votes_and_one_with_none_carries_its_first_votes_context_once()
    {
        var exported = new List<Activity>();
        // The services' sampler: a request follows its caller's decision, here set per vote by a remote parent.
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(EdgeTelemetry.SourceName, Requests.Name)
            .SetSampler(new ParentBasedSampler(new AlwaysOffSampler()))
            .AddInMemoryExporter(exported)
            .Build();
        await using var capture = await MessageCapture.StartAsync(stack);
        var publisher = VotePublisherTests.Publisher(stack.JetStream, EdgeStack.Region);
        var requestOf = new Dictionary<Guid, ActivityContext>();

        // A wave of votes none of which is sampled, then one where every fifth is: each wave goes out in groups.
        async Task<List<VoteCast>> WaveAsync(string name, Func<int, bool> sampled)
        {
            var votes = Enumerable.Range(0, 50).Select(i => VotePublisherTests.Vote($"user_{name}_{i}")).ToList();
            var published = new List<Task>();
            for (var i = 0; i < votes.Count; i++)
            {
                var caller = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
                    sampled(i) ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
                using var request = Requests.StartActivity("POST /v1/votes", ActivityKind.Server, caller)!;
                requestOf[votes[i].VoteId] = request.Context;
                published.Add(publisher.PublishAsync(votes[i]));
            }

            await Task.WhenAll(published);
            return votes;
        }

        var unsampled = await capture.MessagesOfAsync(await WaveAsync("unsampled", _ => false));
        var mixed = await capture.MessagesOfAsync(await WaveAsync("mixed", i => i % 5 == 1));
        Assert.Contains(unsampled, m => m.Votes.Count > 1);
        Assert.Contains(mixed, m => m.Votes.Count > 1 && m.Votes.Any(v => IsSampled(v)) && m.Votes.Any(v => !IsSampled(v)));

        foreach (var (_, headers, carried) in unsampled.Concat(mixed))
        {
            Assert.NotNull(headers);
            var values = headers[VotePublisher.TraceParentHeader];
            if (!carried.Any(IsSampled))
            {
                Assert.True(ActivityContext.TryParse(Assert.Single(values), null, out var context));
                Assert.Equal(requestOf[carried[0].VoteId].TraceId, context.TraceId);
                Assert.False(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
                continue;
            }

            Assert.Equal(carried.Count, values.Count);
            for (var i = 0; i < carried.Count; i++)
            {
                if (!IsSampled(carried[i]))
                {
                    Assert.Equal("", values[i]);
                    continue;
                }

                Assert.True(ActivityContext.TryParse(values[i], null, out var context), values[i]);
                Assert.Equal(requestOf[carried[i].VoteId].TraceId, context.TraceId);
                Assert.True(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded));
            }
        }

        bool IsSampled(VoteCast vote) => requestOf[vote.VoteId].TraceFlags.HasFlag(ActivityTraceFlags.Recorded);
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
        // The runtime's own counters (System.Runtime), which the bench reads per vote.
        Assert.Contains("dotnet_gc_heap_total_allocated_bytes_total{", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_thread_pool_work_item_count_total{", text, StringComparison.Ordinal);
    }

    /// <summary>Every message on the region's vote lanes, read by a plain subscriber while the test publishes.</summary>
    private sealed class MessageCapture : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(string Subject, NatsHeaders? Headers, byte[] Data)> _received = new();
        private readonly INatsSub<byte[]> _subscription;
        private readonly Task _reading;

        private MessageCapture(INatsSub<byte[]> subscription)
        {
            _subscription = subscription;
            _reading = Task.Run(async () =>
            {
                await foreach (var message in subscription.Msgs.ReadAllAsync())
                {
                    _received.Enqueue((message.Subject, message.Headers, message.Data ?? []));
                }
            });
        }

        public static async Task<MessageCapture> StartAsync(EdgeStack stack)
        {
            var subscription = await stack.Bus.SubscribeCoreAsync(Subjects.VoteLane(EdgeStack.Region, "*"), serializer: NatsRawSerializer<byte[]>.Default);
            await stack.Bus.PingAsync();
            return new MessageCapture(subscription);
        }

        /// <summary>The messages that carried these votes, once every vote has been seen.</summary>
        public Task<List<(string Subject, NatsHeaders? Headers, List<VoteCast> Votes)>> MessagesOfAsync(IReadOnlyCollection<VoteCast> votes)
        {
            var ids = votes.Select(v => v.VoteId).ToHashSet();
            return Eventually.UntilAsync(() => Task.FromResult(_received.Select(m => (m.Subject, m.Headers, Votes: VotesOf(m.Subject, m.Data)))
                    .Where(m => m.Votes.Any(v => ids.Contains(v.VoteId))).ToList()),
                ms => ms.Sum(m => m.Votes.Count) >= ids.Count, Soon, "every vote's message");
        }

        public async ValueTask DisposeAsync()
        {
            await _subscription.UnsubscribeAsync();
            await _reading;
            await _subscription.DisposeAsync();
        }
    }

    private static List<VoteCast> VotesOf(string subject, byte[] data) => Subjects.VoteKindOf(subject) switch
    {
        VoteSubjectKind.Casts => JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCasts)!.Votes.ToList(),
        VoteSubjectKind.Cast => [JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCast)!],
        _ => [],
    };
}
