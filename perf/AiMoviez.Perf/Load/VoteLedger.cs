using System.Diagnostics;

namespace AiMoviez.Perf.Load;

public sealed record AcceptedVote(Guid VoteId, Guid ClipId, int Weight, string Region, int VoterIndex);

/// <summary>Every vote the stack answered 202 in this run, which ones we revoked, and when the last 202 came.</summary>
public sealed class VoteLedger
{
    private readonly Lock _lock = new();
    private readonly List<AcceptedVote> _accepted = [];
    private readonly HashSet<Guid> _revoked = [];
    private readonly HashSet<Guid> _seen = [];
    private long _duplicateVoteIds;
    private long _lastAcceptedTimestamp;

    public long LastAcceptedTimestamp => Interlocked.Read(ref _lastAcceptedTimestamp);

    /// <summary>The same voteId answered twice for different requests: a contract breach in itself.</summary>
    public long DuplicateVoteIds => Interlocked.Read(ref _duplicateVoteIds);

    public void Accepted(AcceptedVote vote)
    {
        lock (_lock)
        {
            if (!_seen.Add(vote.VoteId))
            {
                _duplicateVoteIds++;
                return;
            }

            _accepted.Add(vote);
            _lastAcceptedTimestamp = Stopwatch.GetTimestamp();
        }
    }

    public int AcceptedCount
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Count;
            }
        }
    }

    /// <summary>Votes accepted minus those we revoked: what the tallies must gain if the stack rejects nothing.</summary>
    public long ExpectedCountedVotes
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Count - _revoked.Count;
            }
        }
    }

    public (IReadOnlyList<AcceptedVote> Accepted, IReadOnlySet<Guid> Revoked) Snapshot()
    {
        lock (_lock)
        {
            return ([.. _accepted], new HashSet<Guid>(_revoked));
        }
    }

    /// <summary>A random accepted vote not yet revoked, for the mixed scenario's revokes.</summary>
    public AcceptedVote? PickRevocable(Random random)
    {
        lock (_lock)
        {
            for (var attempt = 0; attempt < 8 && _accepted.Count > 0; attempt++)
            {
                var vote = _accepted[random.Next(_accepted.Count)];
                if (_revoked.Add(vote.VoteId))
                {
                    return vote;
                }
            }

            return null;
        }
    }

    /// <summary>The revoke was not answered 202, so the vote stays counted.</summary>
    public void RevokeFailed(Guid voteId)
    {
        lock (_lock)
        {
            _revoked.Remove(voteId);
        }
    }
}
