using System.Threading.Channels;

namespace AiMoviez.Aggregator.Shards;

/// <summary>Cuts batches from a channel: at most <c>maxSize</c> items, and no longer than <c>maxAge</c> after the first.</summary>
internal static class BatchCollector
{
    /// <summary>Waits for a first item; returns empty only when the channel completed.</summary>
    public static async Task<List<T>> ReadAsync<T>(ChannelReader<T> reader, int maxSize, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var batch = new List<T>();
        while (batch.Count == 0)
        {
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                return batch;
            }

            Drain(reader, batch, maxSize);
        }

        if (batch.Count >= maxSize)
        {
            return batch;
        }

        using var age = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        age.CancelAfter(maxAge);
        try
        {
            while (batch.Count < maxSize && await reader.WaitToReadAsync(age.Token))
            {
                Drain(reader, batch, maxSize);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The batch reached its age.
        }

        return batch;
    }

    private static void Drain<T>(ChannelReader<T> reader, List<T> batch, int maxSize)
    {
        while (batch.Count < maxSize && reader.TryRead(out var item))
        {
            batch.Add(item);
        }
    }
}
