namespace AiMoviez.Perf.Load;

public readonly record struct PlannedVote(long Sequence, int VoterIndex, int ClipIndex);

/// <summary>
/// Hands out (voter, clip) pairs following the clip distribution without ever repeating a pair, since one vote per
/// voter per clip is a rule: each clip walks the voters with its own cursor (starting at a different offset per clip,
/// so a voter's votes are spread in time). When a clip has had every voter, its share spills to the clips that have
/// room, which makes the effective hot share lower than asked when voters are few; the report shows the effective one.
/// </summary>
public sealed class VotePlan
{
    private const int ResampleAttempts = 8;

    private readonly ClipDistribution _distribution;
    private readonly int _voters;
    private readonly long _maxVotes;
    private readonly int[] _cursors;
    private readonly long[] _planned;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private long _sequence;

    public VotePlan(ClipDistribution distribution, int voters, long maxVotes, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(voters, Voter.MaxVoters);
        _distribution = distribution;
        _voters = voters;
        _maxVotes = maxVotes;
        _cursors = new int[distribution.ClipCount];
        _planned = new long[distribution.ClipCount];
        _random = new Random(seed);
    }

    public int Voters => _voters;

    /// <summary>Votes handed out per clip so far.</summary>
    public IReadOnlyList<long> PlannedPerClip
    {
        get
        {
            lock (_lock)
            {
                return [.. _planned];
            }
        }
    }

    public bool TryNext(out PlannedVote vote)
    {
        lock (_lock)
        {
            vote = default;
            if (_sequence >= _maxVotes)
            {
                return false;
            }

            var clip = PickClipWithRoom();
            if (clip < 0)
            {
                return false;
            }

            var offset = (int)((long)clip * _voters / _distribution.ClipCount);
            var voter = (int)((_cursors[clip] + (long)offset) % _voters);
            _cursors[clip]++;
            _planned[clip]++;
            vote = new PlannedVote(_sequence++, voter, clip);
            return true;
        }
    }

    private int PickClipWithRoom()
    {
        for (var attempt = 0; attempt < ResampleAttempts; attempt++)
        {
            var clip = _distribution.Sample(_random);
            if (_cursors[clip] < _voters)
            {
                return clip;
            }
        }

        for (var clip = 0; clip < _cursors.Length; clip++)
        {
            if (_cursors[clip] < _voters)
            {
                return clip;
            }
        }

        return -1;
    }
}
