using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// One batch's place in its shard's pipeline of two: a batch reads the shard's state and copies its votes while the
/// batch before it may still be writing and committing on the other connection, and writes only once that batch is
/// done, so batches commit in order. Reading early is sound only when the batch before changes nothing this one reads:
/// no vote id in common (a vote, its revoke, a tombstone), no voter in common (the voter's counted votes and day
/// total), and no revoke at all before it (a revoke changes the counted votes of a voter it names only by vote id).
/// Otherwise this batch reads only once the batch before is done.
/// </summary>
internal sealed class BatchTurn
{
    // Cleared once this batch is done, so a chain of finished batches is not kept alive.
    private BatchTurn? _previous;
    private readonly HashSet<Guid> _voteIds = [];
    private readonly HashSet<string> _voters = new(StringComparer.Ordinal);
    private readonly bool _hasRevokes;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BatchTurn(BatchTurn? previous, IEnumerable<VoteStreamEvent> events)
    {
        _previous = previous;
        foreach (var evt in events)
        {
            switch (evt)
            {
                case VoteCast cast:
                    _voteIds.Add(cast.VoteId);
                    _voters.Add(cast.VoterKey);
                    break;
                case VoteRevoked revoke:
                    _voteIds.Add(revoke.VoteId);
                    _hasRevokes = true;
                    break;
            }
        }
    }

    /// <summary>Stands for the batch before a writer's first: done.</summary>
    public static BatchTurn BeforeFirst()
    {
        var turn = new BatchTurn(null, []);
        turn.Finish();
        return turn;
    }

    /// <summary>A batch with no batch before it in flight.</summary>
    public static BatchTurn Alone(IEnumerable<VoteStreamEvent> events) => new(null, events);

    /// <summary>The batch after this one.</summary>
    public BatchTurn Next(IEnumerable<VoteStreamEvent> events) => new(this, events);

    /// <summary>Ends once this batch and every batch before it are done (committed, failed or refused).</summary>
    public Task Done => _done.Task;

    /// <summary>The shard's write count after this batch's commit; null until it commits.</summary>
    public long? CommittedWrites { get; private set; }

    /// <summary>The previous batch's write count after its commit, once <see cref="WaitToWriteAsync"/> returned.</summary>
    public long? PreviousCommittedWrites => _previous?.CommittedWrites;

    /// <summary>Returns once this batch may read the shard's state.</summary>
    public Task WaitToReadAsync() => _previous is null || !_previous.Changes(this) ? Task.CompletedTask : _previous.Done;

    /// <summary>Returns once the batch before is done, so this one commits after it.</summary>
    public Task WaitToWriteAsync() => _previous?.Done ?? Task.CompletedTask;

    public void Committed(long writes) => CommittedWrites = writes;

    /// <summary>This batch is done with; <see cref="Done"/> ends once the batch before is done too.</summary>
    public void Finish()
    {
        var previous = _previous;
        _previous = null;
        if (previous is null)
        {
            _done.TrySetResult();
        }
        else
        {
            previous.Done.ContinueWith(_ => _done.TrySetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private bool Changes(BatchTurn next) =>
        _hasRevokes || next._voteIds.Overlaps(_voteIds) || next._voters.Overlaps(_voters);
}
