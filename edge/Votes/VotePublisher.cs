using System.Collections.Concurrent;
using System.Diagnostics;
using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Publishes to the season's shard lane of the region's vote stream and waits for the PubAck: a vote is only accepted
/// once stored. A lane has one vote publish in flight at a time; the votes that arrive meanwhile wait for it and then
/// go out together as one <see cref="VoteCasts"/> message (up to <see cref="EdgeOptions.MaxVotesPerMessage"/>). So a
/// vote reaching a quiet lane goes out at once and alone, and under load the stream stores, and the aggregator takes,
/// one message per group instead of one per vote: nats-server's and the aggregator's cost per message is most of
/// theirs (perf/RESULTS.md). A busy lane also goes idle between groups (its voters' answers take the cores while its
/// last publish completes), so a vote finding it idle then waits <see cref="EdgeOptions.PublishLinger"/> for others
/// rather than go out alone.
/// </summary>
internal sealed class VotePublisher(INatsJSContext jetStream, RegionTopology region, ShardMap shardMap, IOptions<EdgeOptions> options,
    TimeProvider time, EdgeTelemetry telemetry)
{
    /// <summary>The W3C trace context header, one value per vote of the message.</summary>
    public const string TraceParentHeader = "traceparent";

    private readonly TimeSpan _timeout = options.Value.PublishTimeout;
    private readonly int _maxVotesPerMessage = options.Value.MaxVotesPerMessage;
    private readonly TimeSpan _linger = options.Value.PublishLinger;
    private readonly ConcurrentDictionary<string, LaneQueue> _lanes = new();

    /// <summary>
    /// Completes once the stream stored the vote, else throws <see cref="PublishFailedException"/>. Not cancelled with
    /// the request: the vote may be on its way with others, and its voter's reservation stands or falls with it.
    /// </summary>
    public Task PublishAsync(VoteCast vote)
    {
        var lane = shardMap.LaneFor(vote.SeasonNumber);
        var queue = _lanes.GetOrAdd(lane, static _ => new LaneQueue());
        var waiting = new WaitingVote(vote, time.GetTimestamp(), EdgeTelemetry.Source.HasListeners() ? Activity.Current?.Context ?? default : default);
        if (queue.Enqueue(waiting, out var busy))
        {
            _ = SendAsync(lane, queue, busy);
        }

        return waiting.Stored.Task;
    }

    /// <summary>
    /// A vote published again (<see cref="VoteCaster"/>): alone, outside the lane's groups, with its vote id as
    /// Nats-Msg-Id, so the stream drops it when the first went out alone within its duplicate window, and no group's id
    /// (<c>casts-</c> and its first vote's id, always a new vote) can come twice. Completes once the stream holds it.
    /// </summary>
    public Task PublishCopyAsync(VoteCast vote) =>
        PublishAsync(Subjects.VoteCast(region.Name, shardMap.LaneFor(vote.SeasonNumber)), vote, vote.VoteId.ToString(), CancellationToken.None);

    public Task PublishAsync(VoteRevoked revoke, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.VoteRevoked(region.Name, shardMap.LaneFor(revoke.SeasonNumber)), revoke, "revoke-" + revoke.VoteId, cancellationToken);

    /// <summary>On the genre shard's lane; a publish retried with the same change is stored once (Nats-Msg-Id).</summary>
    public Task PublishAsync(GenreVoteChanged change, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.GenreVote(region.Name, shardMap.GenreLane), change, "genre-" + change.ChangeId, cancellationToken);

    public Task PublishAsync(ClipViewsReported views, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.ClipViews(region.Name, shardMap.LaneFor(views.SeasonNumber)), views, views.BatchId.ToString(), cancellationToken);

    /// <summary>Sends the lane's waiting votes, a group per publish, until none waits; first lingers if the lane is busy.</summary>
    private async Task SendAsync(string lane, LaneQueue queue, bool busy)
    {
        if (busy && _linger > TimeSpan.Zero)
        {
            await Task.Delay(_linger, time);
        }

        for (var group = queue.Next(_maxVotesPerMessage); group.Count > 0; group = queue.Next(_maxVotesPerMessage))
        {
            // A vote that waited a whole publish timeout behind a slow publish fails unsent, rather than be stored after
            // its voter was told it was not.
            var expired = group.Where(v => time.GetElapsedTime(v.QueuedAt) >= _timeout).ToList();
            foreach (var vote in expired)
            {
                vote.Stored.TrySetException(new PublishFailedException(Subjects.VoteCast(region.Name, lane),
                    new TimeoutException("The vote waited its whole publish timeout for the publish before it.")));
            }

            var due = expired.Count == 0 ? group : group.Except(expired).ToList();
            if (due.Count == 0)
            {
                continue;
            }

            var subject = due is [_] ? Subjects.VoteCast(region.Name, lane) : Subjects.VoteCasts(region.Name, lane);
            var messageId = due is [var alone] ? alone.Vote.VoteId.ToString() : "casts-" + due[0].Vote.VoteId;
            var started = Stopwatch.GetTimestamp();
            var sends = StartSends(subject, messageId, due);
            try
            {
                if (due is [var single])
                {
                    await PublishAsync(subject, single.Vote, messageId, CancellationToken.None, TraceHeaders(sends, due));
                }
                else
                {
                    await PublishAsync(subject, new VoteCasts { Votes = due.Select(v => v.Vote).ToList() }, messageId, CancellationToken.None,
                        TraceHeaders(sends, due));
                }

                telemetry.Published(lane, started);
                EndSends(sends, null);
                foreach (var vote in due)
                {
                    vote.Stored.TrySetResult();
                }
            }
            catch (Exception e)
            {
                EndSends(sends, e);
                // Whatever failed, the group's voters get their answer and the lane goes on.
                var failed = e as PublishFailedException ?? new PublishFailedException(Subjects.VoteCasts(region.Name, lane), e);
                foreach (var vote in due)
                {
                    vote.Stored.TrySetException(failed);
                }
            }
        }
    }

    /// <summary>Throws <see cref="PublishFailedException"/> unless the stream acknowledged the message in time.</summary>
    private async Task PublishAsync<T>(string subject, T message, string messageId, CancellationToken cancellationToken, NatsHeaders? headers = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            var ack = await jetStream.PublishAsync(subject, message, opts: new NatsJSPubOpts { MsgId = messageId }, headers: headers,
                cancellationToken: timeout.Token);
            ack.EnsureStored();
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new PublishFailedException(subject, e);
        }
    }

    /// <summary>
    /// One send span per vote, each a child of its vote's request span, so every vote's trace holds the publish that
    /// carried it, alone or in a group; null when not traced.
    /// </summary>
    private static Activity?[]? StartSends(string subject, string messageId, List<WaitingVote> due)
    {
        if (!EdgeTelemetry.Source.HasListeners())
        {
            return null;
        }

        var sends = new Activity?[due.Count];
        for (var i = 0; i < due.Count; i++)
        {
            var send = EdgeTelemetry.Source.StartActivity("send " + subject, ActivityKind.Producer, due[i].Trace);
            if (send is { IsAllDataRequested: true })
            {
                send.SetTag("messaging.system", "nats");
                send.SetTag("messaging.operation.type", "send");
                send.SetTag("messaging.operation.name", "send");
                send.SetTag("messaging.destination.name", subject);
                send.SetTag("messaging.message.id", messageId);
                send.SetTag("messaging.batch.message_count", due.Count);
            }

            sends[i] = send;
        }

        return sends;
    }

    /// <summary>
    /// W3C trace context for the aggregator. When a vote of the message was sampled: one <c>traceparent</c> value per
    /// vote, in the message's vote order, empty for a vote not sampled or without one. When none was: one value, the
    /// first vote's, which carries the decision not to sample for the whole message. The aggregator traces a batch
    /// through its sampled votes and otherwise follows its first vote's decision, so an unsampled vote's own context
    /// would be about 73 bytes per vote that nothing reads. A message of one vote has its one value, as usual.
    /// </summary>
    private static NatsHeaders? TraceHeaders(Activity?[]? sends, List<WaitingVote> due)
    {
        if (sends is null)
        {
            return null;
        }

        var contexts = new ActivityContext[sends.Length];
        var first = -1;
        var sampled = false;
        for (var i = 0; i < sends.Length; i++)
        {
            contexts[i] = sends[i]?.Context ?? due[i].Trace;
            if (contexts[i] != default && first < 0)
            {
                first = i;
            }

            sampled |= contexts[i].TraceFlags.HasFlag(ActivityTraceFlags.Recorded);
        }

        if (first < 0)
        {
            return null;
        }

        if (!sampled)
        {
            return new NatsHeaders { [TraceParentHeader] = TraceParent(contexts[first]) };
        }

        var values = new string[contexts.Length];
        for (var i = 0; i < contexts.Length; i++)
        {
            values[i] = contexts[i].TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? TraceParent(contexts[i]) : "";
        }

        return new NatsHeaders { [TraceParentHeader] = values };
    }

    private static string TraceParent(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";

    private static void EndSends(Activity?[]? sends, Exception? error)
    {
        if (sends is null)
        {
            return;
        }

        foreach (var send in sends)
        {
            Spans.End(send, error);
        }
    }

    private sealed class WaitingVote(VoteCast vote, long queuedAt, ActivityContext trace)
    {
        public VoteCast Vote => vote;

        public long QueuedAt => queuedAt;

        /// <summary>The span of the request that cast the vote, when traced.</summary>
        public ActivityContext Trace => trace;

        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A lane's votes waiting for its publish in flight.</summary>
    private sealed class LaneQueue
    {
        private readonly Lock _sync = new();
        private readonly Queue<WaitingVote> _waiting = new();
        private bool _sending;
        private int _lastGroupSize;

        /// <returns>True when the lane was idle: the caller sends.</returns>
        /// <param name="busy">Whether the lane's last message carried several votes.</param>
        public bool Enqueue(WaitingVote vote, out bool busy)
        {
            lock (_sync)
            {
                _waiting.Enqueue(vote);
                busy = _lastGroupSize > 1;
                if (_sending)
                {
                    return false;
                }

                _sending = true;
                return true;
            }
        }

        /// <summary>The oldest waiting votes, at most <paramref name="max"/>; none, and the lane idle again, when none waits.</summary>
        public List<WaitingVote> Next(int max)
        {
            lock (_sync)
            {
                var group = new List<WaitingVote>(Math.Min(max, _waiting.Count));
                while (group.Count < max && _waiting.TryDequeue(out var vote))
                {
                    group.Add(vote);
                }

                if (group.Count == 0)
                {
                    _sending = false;
                }
                else
                {
                    _lastGroupSize = group.Count;
                }

                return group;
            }
        }
    }
}

internal sealed class PublishFailedException(string subject, Exception inner)
    : Exception($"Publishing to {subject} was not acknowledged.", inner);
