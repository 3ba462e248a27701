using NATS.Client.JetStream;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// Ends a lane's consumer when it delivered messages that never reached the lane. A process that lost the shard's lease
/// can still pull from the consumer the next holder recreated under the same name before it notices, and what it took
/// stays unacked until AckWait (a minute) while the lane, waiting for messages, gets none. Once the lane has waited for
/// a whole check with the consumer's delivery sequence past the last delivery it received, <see cref="Consuming"/> is
/// cancelled: the lane restarts the consumer from its ack floor, which delivers them again at once. A lane busy with a
/// message is never ended: the client may hold later deliveries for it.
/// </summary>
internal sealed class LaneDeliveryWatch(INatsJSConsumer consumer, LaneAcks acks, CancellationToken incarnation) : IDisposable
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _consuming = CancellationTokenSource.CreateLinkedTokenSource(incarnation);
    private volatile bool _busy;

    /// <summary>The token of the lane's pull: cancelled when deliveries went elsewhere, or with the incarnation.</summary>
    public CancellationToken Consuming => _consuming.Token;

    /// <summary>Set while the lane handles a message, cleared when it waits for the next.</summary>
    public bool Busy
    {
        get => _busy;
        set => _busy = value;
    }

    public async Task RunAsync(ILogger logger, string region, string lane)
    {
        try
        {
            ulong? waitedAt = null;
            while (!incarnation.IsCancellationRequested)
            {
                await Task.Delay(CheckInterval, incarnation);
                var received = acks.LastConsumerSequence;
                if (Busy)
                {
                    waitedAt = null;
                    continue;
                }

                await consumer.RefreshAsync(incarnation);
                var delivered = consumer.Info.Delivered.ConsumerSeq;
                // Re-read after the request: a delivery that reached the lane meanwhile is no sign of one gone elsewhere.
                if (delivered > received && waitedAt == received && !Busy && acks.LastConsumerSequence == received)
                {
                    logger.LogWarning("Lane {Lane} of region {Region}: its consumer delivered up to {Delivered}, this lane received up to {Received}; restarting it from its ack floor",
                        lane, region, delivered, received);
                    await _consuming.CancelAsync();
                    return;
                }

                waitedAt = delivered > received ? received : null;
            }
        }
        catch (Exception) when (incarnation.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A check that fails (NATS unreachable, or the lane ended meanwhile) leaves the lane to its own errors.
            logger.LogDebug("Delivery watch of lane {Lane} of region {Region} ended: {Error}", lane, region, e.Message);
        }
    }

    public void Dispose() => _consuming.Dispose();
}
