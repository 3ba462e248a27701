namespace AiMoviez.Contracts;

/// <summary>NATS subjects. Every region has its own NATS; the subjects are the same in each.</summary>
public static class Subjects
{
    /// <summary>
    /// A region's vote stream has one lane per shard (the shard's name, or <see cref="UnroutedLane"/>): the aggregator
    /// consumes each lane on its own, so a shard that is down holds back only its own lane.
    /// </summary>
    public const string UnroutedLane = "unrouted";

    // The last token of a vote-stream subject: what its message carries (VoteKindOf).
    private const string CastToken = "cast";
    private const string CastsToken = "casts";
    private const string RevokeToken = "revoke";
    private const string ViewsToken = "views";
    private const string GenreToken = "genre";

    /// <summary>JetStream: a vote an edge accepted. Nats-Msg-Id is the vote id.</summary>
    public static string VoteCast(string region, string lane) => $"votes.{region}.{lane}.{CastToken}";

    /// <summary>JetStream: votes an edge accepted together (<see cref="AiMoviez.Contracts.VoteCasts"/>).</summary>
    public static string VoteCasts(string region, string lane) => $"votes.{region}.{lane}.{CastsToken}";

    /// <summary>JetStream: a vote its voter took back.</summary>
    public static string VoteRevoked(string region, string lane) => $"votes.{region}.{lane}.{RevokeToken}";

    /// <summary>JetStream: batched ballot views.</summary>
    public static string ClipViews(string region, string lane) => $"votes.{region}.{lane}.{ViewsToken}";

    /// <summary>JetStream: a voter's genre vote set or withdrawn (<see cref="GenreVoteChanged"/>), on the lane of the genre shard.</summary>
    public static string GenreVote(string region, string lane) => $"votes.{region}.{lane}.{GenreToken}";

    /// <summary>What a message of a vote stream carries, by its subject (one that the builders above made).</summary>
    public static VoteSubjectKind VoteKindOf(string subject) => subject.AsSpan(subject.LastIndexOf('.') + 1) switch
    {
        CastToken => VoteSubjectKind.Cast,
        CastsToken => VoteSubjectKind.Casts,
        RevokeToken => VoteSubjectKind.Revoke,
        ViewsToken => VoteSubjectKind.Views,
        GenreToken => VoteSubjectKind.Genre,
        _ => VoteSubjectKind.Unknown,
    };

    /// <summary>Every message of one lane of the region's vote stream.</summary>
    public static string VoteLane(string region, string lane) => $"votes.{region}.{lane}.>";

    public static string VoteStreamSubjects(string region) => $"votes.{region}.>";

    /// <summary>JetStream: aggregator decisions (counted / rejected / revoked) for the region's receipts.</summary>
    public static string Receipts(string region) => $"receipts.{region}";

    /// <summary>
    /// JetStream: the votes an admin's slot reset removed, for the region's edges to give back to their voters
    /// (<see cref="AiMoviez.Contracts.SlotVotesReset"/>).
    /// </summary>
    public static string SlotResets(string region) => $"resets.{region}";

    /// <summary>Core NATS: a season's current tally, republished by the aggregator on every region.</summary>
    public static string Tally(Guid seasonId) => $"tallies.{seasonId:D}";

    public const string AllTallies = "tallies.>";

    /// <summary>Core NATS: the genre vote's counts (<see cref="AiMoviez.Contracts.GenreTally"/>), republished by the aggregator on every region.</summary>
    public const string GenreTally = "genres.tally";

    /// <summary>Core NATS: core changed seasons, slots, clips, flags or bans; edges refetch the catalog.</summary>
    public const string CatalogChanged = "catalog.changed";

    /// <summary>JetStream dead letters of the aggregator (one stream per region NATS).</summary>
    public static string DeadLetter(string region) => $"deadletter.{region}";
}

/// <summary>What a message of a vote stream carries (<see cref="Subjects.VoteKindOf"/>).</summary>
public enum VoteSubjectKind
{
    /// <summary>Not a subject of a vote stream's messages.</summary>
    Unknown,

    /// <summary><see cref="Subjects.VoteCast"/>: one <see cref="VoteCast"/>.</summary>
    Cast,

    /// <summary><see cref="Subjects.VoteCasts"/>: a group of votes, <see cref="VoteCasts"/>.</summary>
    Casts,

    /// <summary><see cref="Subjects.VoteRevoked"/>: one <see cref="VoteRevoked"/>.</summary>
    Revoke,

    /// <summary><see cref="Subjects.ClipViews"/>: one <see cref="ClipViewsReported"/>.</summary>
    Views,

    /// <summary><see cref="Subjects.GenreVote"/>: one <see cref="GenreVoteChanged"/>.</summary>
    Genre,
}

public static class StreamNames
{
    public static string Votes(string region) => "VOTES_" + Normalize(region);

    public static string Receipts(string region) => "RECEIPTS_" + Normalize(region);

    public static string DeadLetters(string region) => "DEADLETTER_" + Normalize(region);

    public static string Resets(string region) => "RESETS_" + Normalize(region);

    /// <summary>The durable consumer of a region's resets stream, shared by all the region's edges.</summary>
    public const string EdgeResetsConsumer = "edge-resets";

    /// <summary>The aggregator's durable consumer of one lane of a region's vote stream.</summary>
    public static string AggregatorConsumer(string lane) => "aggregator-" + lane;

    private static string Normalize(string region) => region.ToUpperInvariant().Replace('-', '_');
}

/// <summary>Retention of the regional streams; the edges and the aggregator both create them if missing, alike.</summary>
public static class StreamLimits
{
    /// <summary>JetStream drops a vote published twice with the same Nats-Msg-Id within this window.</summary>
    public static readonly TimeSpan VotesDuplicateWindow = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan VotesMaxAge = TimeSpan.FromDays(7);

    public static readonly TimeSpan ReceiptsMaxAge = TimeSpan.FromDays(2);

    /// <summary>As long as votes: an edge down that long still gives back what a reset removed when it returns.</summary>
    public static readonly TimeSpan ResetsMaxAge = TimeSpan.FromDays(7);
}
