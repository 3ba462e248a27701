using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// The fence of a batch that read the shard before it took the writer lock: under the lock it counts its write, checks
/// that this process still holds the shard's lease, and that no other writer (a second aggregator process) wrote since
/// the batch read the shard's write count.
/// </summary>
internal sealed class ShardFence(string shard, ShardLease? lease)
{
    /// <summary>
    /// Takes the writer lock and counts this write, then checks that no other writer wrote since the batch read the
    /// shard: the count then is the one read with the state, or, when the previous batch of this writer committed in
    /// between, that batch's. Returns the count after this write.
    /// </summary>
    public async Task<long> PassAsync(NpgsqlConnection connection, long readWrites, long? previousWrites, CancellationToken cancellationToken)
    {
        var writes = await ShardSchema.LockAndCountWriteAsync(connection, null, shard, cancellationToken);
        // Under the writer lock, so no other process's write can come between this check and this commit.
        if (lease is not null && !await lease.HoldsAsync(connection, cancellationToken))
        {
            throw new ShardLeaseLostException(shard);
        }

        var before = writes - 1;
        if (before != readWrites && !(previousWrites == before && readWrites == before - 1))
        {
            throw new ShardWrittenMeanwhileException();
        }

        return writes;
    }
}

/// <summary>Another writer wrote to the shard between a batch's read of it and its write: the batch's decisions may be stale.</summary>
internal sealed class ShardWrittenMeanwhileException() : Exception("the shard was written by another writer since the batch read it");
