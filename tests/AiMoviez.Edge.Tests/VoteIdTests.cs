using AiMoviez.Contracts;
using AiMoviez.Edge.Votes;

namespace AiMoviez.Edge.Tests;

public sealed class VoteIdTests
{
    [Fact]
    public void Edge_vote_ids_are_uuidv7_of_their_time_and_carry_the_voters_bucket()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var bucket in new[] { 0, 1, 513, VoterBuckets.Count - 1 })
        {
            var id = VoteIds.New(now, bucket);
            Assert.Equal(7, id.Version);
            Assert.Equal(bucket, VoteIds.BucketOf(id));
            Assert.Equal(now.ToUnixTimeMilliseconds(), VoteIds.TimeOf(id).ToUnixTimeMilliseconds());
            Assert.Equal(0x80, id.ToByteArray(bigEndian: true)[8] & 0xC0);
        }

        Assert.NotEqual(VoteIds.New(now, 5), VoteIds.New(now, 5));
    }

    /// <summary>
    /// A random id looks marked by chance once in 65,536 (16 fixed bits): among 10,000 about 0.15 are expected, and more
    /// than 5 would take odds of about one in 60 million; the empty id never is.
    /// </summary>
    [Fact]
    public void Ids_made_elsewhere_almost_never_carry_a_bucket()
    {
        var marked = Enumerable.Range(0, 10_000).Select(_ => Guid.CreateVersion7()).Count(id => VoteIds.BucketOf(id) is not null);
        Assert.InRange(marked, 0, 5);
        Assert.Null(VoteIds.BucketOf(Guid.Empty));
    }

    [Fact]
    public void A_voters_bucket_is_the_same_in_every_process_and_buckets_spread()
    {
        // FNV-1a 32 of the key mod 1024, computed independently.
        Assert.Equal(438, VoterBuckets.Of("device_5689f93eebaca6f243d67706be29986e"));
        var buckets = Enumerable.Range(0, 10_000).Select(i => VoterBuckets.Of("device_" + i)).ToList();
        Assert.All(buckets, b => Assert.InRange(b, 0, VoterBuckets.Count - 1));
        Assert.True(buckets.Distinct().Count() > 900);
    }
}
