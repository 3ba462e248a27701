using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Publishes to the season's shard lane of the region's vote stream and waits for the PubAck: a vote is only accepted
/// once stored.
/// </summary>
public sealed class VotePublisher(INatsJSContext jetStream, RegionTopology region, ShardMap shardMap, IOptions<EdgeOptions> options)
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(options.Value.PublishTimeoutMs);

    public Task PublishAsync(VoteCast vote, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.VoteCast(region.Name, shardMap.LaneFor(vote.SeasonNumber)), vote, vote.VoteId.ToString(), cancellationToken);

    public Task PublishAsync(VoteRevoked revoke, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.VoteRevoked(region.Name, shardMap.LaneFor(revoke.SeasonNumber)), revoke, "revoke-" + revoke.VoteId, cancellationToken);

    public Task PublishAsync(ClipViewsReported views, CancellationToken cancellationToken) =>
        PublishAsync(Subjects.ClipViews(region.Name, shardMap.LaneFor(views.SeasonNumber)), views, views.BatchId.ToString(), cancellationToken);

    /// <summary>Throws <see cref="PublishFailedException"/> unless the stream acknowledged the message in time.</summary>
    private async Task PublishAsync<T>(string subject, T message, string messageId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            var ack = await jetStream.PublishAsync(subject, message, opts: new NatsJSPubOpts { MsgId = messageId },
                cancellationToken: timeout.Token);
            ack.EnsureSuccess();
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new PublishFailedException(subject, e);
        }
    }
}

public sealed class PublishFailedException(string subject, Exception inner)
    : Exception($"Publishing to {subject} was not acknowledged.", inner);
