using AiMoviez.Perf.Load;

namespace AiMoviez.Perf.Tests;

public sealed class ClipDistributionTests
{
    private const int Draws = 100_000;

    [Fact]
    public void Hot_clip_gets_the_configured_share_and_the_rest_fall_off_by_rank()
    {
        var distribution = new ClipDistribution(clipCount: 12, hotShare: 0.3);
        var random = new Random(1);
        var perClip = new int[distribution.ClipCount];
        for (var i = 0; i < Draws; i++)
        {
            perClip[distribution.Sample(random)]++;
        }

        Assert.InRange(perClip[0] / (double)Draws, 0.28, 0.32);
        // Zipf over the other 11: rank 1 takes (1 - 0.3) / H(11) of all votes, rank r a 1/r part of that.
        var harmonic = Enumerable.Range(1, 11).Sum(r => 1.0 / r);
        Assert.InRange(perClip[1] / (double)Draws, 0.7 / harmonic - 0.01, 0.7 / harmonic + 0.01);
        Assert.InRange(perClip[11] / (double)Draws, 0.7 / harmonic / 11 - 0.005, 0.7 / harmonic / 11 + 0.005);
        Assert.True(perClip[1] > perClip[2] && perClip[2] > perClip[5] && perClip[5] > perClip[11], string.Join(", ", perClip));
    }

    [Fact]
    public void Plan_with_enough_voters_keeps_the_hot_share_and_never_repeats_a_voter_on_a_clip()
    {
        var voters = Voter.EnoughFor(Draws, 0.3);
        var plan = new VotePlan(new ClipDistribution(12, 0.3), voters, Draws, seed: 42);

        // The load drivers take votes from many tasks at once, so draw from several threads as they do.
        var pairs = new System.Collections.Concurrent.ConcurrentBag<(int Voter, int Clip)>();
        Parallel.For(0, 4, _ =>
        {
            while (plan.TryNext(out var vote))
            {
                pairs.Add((vote.VoterIndex, vote.ClipIndex));
            }
        });

        Assert.Equal(Draws, pairs.Count);
        Assert.Equal(Draws, pairs.Distinct().Count());
        Assert.All(pairs, p => Assert.InRange(p.Voter, 0, voters - 1));
        Assert.InRange(pairs.Count(p => p.Clip == 0) / (double)Draws, 0.28, 0.32);
        Assert.Equal(pairs.Count(p => p.Clip == 0), plan.PlannedPerClip[0]);
    }

    [Fact]
    public void Plan_with_too_few_voters_spills_the_hot_share_instead_of_voting_twice()
    {
        // 500 voters x 4 clips is every (voter, clip) pair there is: the plan must hand out each once, then stop.
        const int voters = 500;
        var plan = new VotePlan(new ClipDistribution(4, 0.9), voters, maxVotes: long.MaxValue, seed: 7);
        var pairs = new List<(int Voter, int Clip)>();
        while (plan.TryNext(out var vote))
        {
            pairs.Add((vote.VoterIndex, vote.ClipIndex));
        }

        Assert.Equal(voters * 4, pairs.Count);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        Assert.All(plan.PlannedPerClip, planned => Assert.Equal(voters, planned));
        Assert.False(plan.TryNext(out _));
    }
}
