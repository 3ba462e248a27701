using AiMoviez.Contracts;

namespace AiMoviez.Contracts.Tests;

public sealed class SubjectsTests
{
    [Fact]
    public void Each_vote_stream_subject_is_read_back_as_the_kind_it_was_built_for()
    {
        Assert.Equal(VoteSubjectKind.Cast, Subjects.VoteKindOf(Subjects.VoteCast("us-east", "shard-1")));
        Assert.Equal(VoteSubjectKind.Casts, Subjects.VoteKindOf(Subjects.VoteCasts("us-east", "shard-1")));
        Assert.Equal(VoteSubjectKind.Revoke, Subjects.VoteKindOf(Subjects.VoteRevoked("us-east", Subjects.UnroutedLane)));
        Assert.Equal(VoteSubjectKind.Views, Subjects.VoteKindOf(Subjects.ClipViews("eu-west", "shard-2")));
        Assert.Equal(VoteSubjectKind.Genre, Subjects.VoteKindOf(Subjects.GenreVote("eu-west", "shard-1")));
    }

    [Theory]
    [InlineData("votes.us-east.shard-1.other")]
    [InlineData("votes.us-east.shard-1.casted")]
    [InlineData("receipts.us-east")]
    [InlineData("cast-without-dots")]
    public void A_subject_that_no_builder_makes_is_of_no_kind(string subject) =>
        Assert.Equal(VoteSubjectKind.Unknown, Subjects.VoteKindOf(subject));
}
