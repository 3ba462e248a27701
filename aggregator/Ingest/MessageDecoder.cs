using System.Text.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// An event decoded and routed, or the reason it is poison; a poison event that still decoded keeps its event, so an
/// accepted vote can be given its final word.
/// </summary>
internal readonly record struct Decoded(VoteStreamEvent? Event, string? Shard, string? PoisonReason)
{
    public static Decoded Poison(string reason, VoteStreamEvent? decodedEvent = null) => new(decodedEvent, null, reason);
}

/// <summary>
/// Turns a vote-stream message into its events and their shards; anything it cannot place is poison. A message carries
/// one event, except a <see cref="VoteCasts"/>, whose votes are routed, or found poison, each on its own.
/// </summary>
internal static class MessageDecoder
{
    /// <summary>Whether the message carries a group of votes (<see cref="Subjects.VoteCasts"/>).</summary>
    public static bool IsGroup(string subject) => Subjects.VoteKindOf(subject) == VoteSubjectKind.Casts;

    /// <returns>One entry per event; one poison entry when the message itself cannot be read.</returns>
    public static IReadOnlyList<Decoded> Decode(string subject, ReadOnlySpan<byte> data, ShardMap shards)
    {
        try
        {
            return Subjects.VoteKindOf(subject) switch
            {
                VoteSubjectKind.Cast => [Route(Check(JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCast)), shards)],
                VoteSubjectKind.Casts => DecodeGroup(JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCasts), shards),
                VoteSubjectKind.Revoke => [Route(Check(JsonSerializer.Deserialize(data, ContractsJson.Default.VoteRevoked)), shards)],
                VoteSubjectKind.Views => [Route(Check(JsonSerializer.Deserialize(data, ContractsJson.Default.ClipViewsReported)), shards)],
                VoteSubjectKind.Genre => [RouteGenre(JsonSerializer.Deserialize(data, ContractsJson.Default.GenreVoteChanged), shards)],
                _ => [Decoded.Poison($"unknown subject {subject}")],
            };
        }
        catch (JsonException e)
        {
            return [Decoded.Poison("undecodable: " + e.Message)];
        }
    }

    private static IReadOnlyList<Decoded> DecodeGroup(VoteCasts? group, ShardMap shards)
    {
        if (group is not { Votes: [_, ..] } || group.Votes.Any(v => v is null))
        {
            return [Decoded.Poison("empty message")];
        }

        // A group of an unknown version: its votes may still be read, and each is given its final word.
        return group.SchemaVersion == EventSchema.Version
            ? group.Votes.Select(v => Route(Check(v), shards)).ToList()
            : group.Votes.Select(v => Decoded.Poison($"unknown schema version {group.SchemaVersion}", v)).ToList();
    }

    private static Decoded Route((int SchemaVersion, int SeasonNumber, VoteStreamEvent? Event, string? Invalid) checkedEvent, ShardMap shards)
    {
        var (schemaVersion, seasonNumber, evt, invalid) = checkedEvent;
        if (invalid is not null)
        {
            return Decoded.Poison(invalid, evt);
        }

        if (schemaVersion != EventSchema.Version)
        {
            return Decoded.Poison($"unknown schema version {schemaVersion}", evt);
        }

        return shards.ShardFor(seasonNumber) is { } shard
            ? new Decoded(evt, shard, null)
            : Decoded.Poison($"no shard for season number {seasonNumber}", evt);
    }

    /// <summary>A genre vote belongs to no season: it goes to the genre shard, whatever lane it came on.</summary>
    private static Decoded RouteGenre(GenreVoteChanged? change, ShardMap shards) => change switch
    {
        null => Decoded.Poison("empty message"),
        { SchemaVersion: not EventSchema.Version } => Decoded.Poison($"unknown schema version {change.SchemaVersion}", change),
        { VoterKey: null or { Length: 0 } } => Decoded.Poison("genre vote without voter key", change),
        { Region: null } => Decoded.Poison("genre vote without region", change),
        _ when change.VoterKey.Contains('\0', StringComparison.Ordinal) || change.Region.Contains('\0', StringComparison.Ordinal) =>
            Decoded.Poison("genre vote with a NUL character", change),
        // Stored as sent: only the canonical spelling counts under its genre.
        { Genre: { } genre } when GenreVoting.Canonical(genre) != genre => Decoded.Poison($"unknown genre {genre}", change),
        _ => shards.GenreShard is { } shard ? new Decoded(change, shard, null) : Decoded.Poison("no shard holds the genre vote", change),
    };

    private static (int, int, VoteStreamEvent?, string?) Check(VoteCast? vote) => vote switch
    {
        null => (0, 0, null, "empty message"),
        // Kept with its reason: a vote the edge accepted still gets its final word.
        { VoterKey: null or { Length: 0 } } => (0, 0, vote, "vote without voter key"),
        { Region: null } => (0, 0, vote, "vote without region"),
        // PostgreSQL text cannot hold NUL: such a vote would fail its whole shard batch forever.
        _ when vote.VoterKey.Contains('\0', StringComparison.Ordinal) || vote.Region.Contains('\0', StringComparison.Ordinal) =>
            (0, 0, vote, "vote with a NUL character"),
        _ when !VoteTypes.IsKnown(vote.VoteType) => (0, 0, vote, $"unknown vote type {vote.VoteType}"),
        _ when VoteTypes.Weight(vote.VoteType) != vote.Weight => (0, 0, vote, $"weight {vote.Weight} does not match {vote.VoteType}"),
        _ => (vote.SchemaVersion, vote.SeasonNumber, vote, null),
    };

    private static (int, int, VoteStreamEvent?, string?) Check(VoteRevoked? revoke) =>
        revoke is null ? (0, 0, null, "empty message") : (revoke.SchemaVersion, revoke.SeasonNumber, revoke, null);

    private static (int, int, VoteStreamEvent?, string?) Check(ClipViewsReported? views) =>
        views is null ? (0, 0, null, "empty message") : (views.SchemaVersion, views.SeasonNumber, views, null);
}
