using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Tests;

/// <summary>When a batch of a shard's pipeline may read the shard and when it may write, given the batch before it.</summary>
public sealed class BatchTurnTests
{
    private static readonly Guid Season = Guid.NewGuid();
    private static readonly Guid Clip = Guid.NewGuid();

    [Fact]
    public async Task A_batch_with_nothing_in_common_reads_at_once_and_writes_after_the_batch_before()
    {
        var before = BatchTurn.Alone([Vote("device_a")]);
        var turn = before.Next([Vote("device_b")]);

        Assert.True(turn.WaitToReadAsync().IsCompleted);
        var writing = turn.WaitToWriteAsync();
        Assert.False(writing.IsCompleted);

        before.Committed(7);
        before.Finish();
        await writing;
        Assert.Equal(7, turn.PreviousCommittedWrites);
    }

    public static TheoryData<string> SharedKeys => ["voter", "vote id", "revoke before"];

    [Theory]
    [MemberData(nameof(SharedKeys))]
    public async Task A_batch_reads_only_after_a_batch_before_that_changes_what_it_reads(string shared)
    {
        var earlier = Vote("device_a");
        var before = BatchTurn.Alone(shared switch
        {
            "voter" => [Vote("device_same")],
            "vote id" => [earlier],
            _ => [Vote("device_a"), Revoke(Guid.NewGuid(), "device_c")],
        });
        var turn = before.Next(shared switch
        {
            "voter" => [Vote("device_same")],
            "vote id" => [Revoke(earlier.VoteId, "device_a")],
            _ => [Vote("device_b")],
        });

        var reading = turn.WaitToReadAsync();
        Assert.False(reading.IsCompleted);

        before.Finish();
        await reading;
    }

    [Fact]
    public async Task A_batch_is_done_only_once_every_batch_before_it_is()
    {
        var first = BatchTurn.Alone([Vote("device_a")]);
        var second = first.Next([Vote("device_b")]);

        second.Finish();
        Assert.False(second.Done.IsCompleted);

        first.Finish();
        await second.Done;
    }

    private static VoteCast Vote(string voter) => AggregatorFixture.Vote(1, Season, Clip, voter);

    private static VoteRevoked Revoke(Guid voteId, string voter) => new()
    {
        VoteId = voteId,
        SeasonId = Season,
        SeasonNumber = 1,
        SlotPosition = 1,
        ClipId = Clip,
        VoterKey = voter,
        Region = AggregatorFixture.UsEast,
        RevokedAt = DateTimeOffset.UtcNow,
    };
}
