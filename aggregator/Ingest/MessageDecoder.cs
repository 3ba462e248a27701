using System.Text.Json;
using AiMoviez.Contracts;

namespace AiMoviez.Aggregator.Ingest;

/// <summary>
/// A message decoded and routed, or the reason it is poison; a poison message that still decoded keeps its event, so
/// an accepted vote can be given its final word.
/// </summary>
public readonly record struct Decoded(object? Event, string? Shard, string? PoisonReason)
{
    public static Decoded Poison(string reason, object? decodedEvent = null) => new(decodedEvent, null, reason);
}

/// <summary>Turns a vote-stream message into an event and its shard; anything it cannot place is poison.</summary>
public static class MessageDecoder
{
    public static Decoded Decode(string subject, ReadOnlySpan<byte> data, ShardMap shards)
    {
        var kind = subject[(subject.LastIndexOf('.') + 1)..];
        try
        {
            var (schemaVersion, seasonNumber, evt, invalid) = kind switch
            {
                "cast" => Check(JsonSerializer.Deserialize(data, ContractsJson.Default.VoteCast)),
                "revoke" => Check(JsonSerializer.Deserialize(data, ContractsJson.Default.VoteRevoked)),
                "views" => Check(JsonSerializer.Deserialize(data, ContractsJson.Default.ClipViewsReported)),
                _ => (0, 0, null, $"unknown subject {subject}"),
            };
            if (invalid is not null)
            {
                return Decoded.Poison(invalid);
            }

            if (schemaVersion != EventSchema.Version)
            {
                return Decoded.Poison($"unknown schema version {schemaVersion}", evt);
            }

            return shards.ShardFor(seasonNumber) is { } shard
                ? new Decoded(evt, shard, null)
                : Decoded.Poison($"no shard for season number {seasonNumber}", evt);
        }
        catch (JsonException e)
        {
            return Decoded.Poison("undecodable: " + e.Message);
        }
    }

    private static (int, int, object?, string?) Check(VoteCast? vote) => vote switch
    {
        null => (0, 0, null, "empty message"),
        { VoterKey.Length: 0 } => (0, 0, null, "vote without voter key"),
        // PostgreSQL text cannot hold NUL: such a vote would fail its whole shard batch forever.
        _ when vote.VoterKey.Contains('\0', StringComparison.Ordinal) || vote.Region.Contains('\0', StringComparison.Ordinal) =>
            (0, 0, null, "vote with a NUL character"),
        _ when !VoteTypes.IsKnown(vote.VoteType) => (0, 0, null, $"unknown vote type {vote.VoteType}"),
        _ when VoteTypes.Weight(vote.VoteType) != vote.Weight => (0, 0, null, $"weight {vote.Weight} does not match {vote.VoteType}"),
        _ => (vote.SchemaVersion, vote.SeasonNumber, vote, null),
    };

    private static (int, int, object?, string?) Check(VoteRevoked? revoke) =>
        revoke is null ? (0, 0, null, "empty message") : (revoke.SchemaVersion, revoke.SeasonNumber, revoke, null);

    private static (int, int, object?, string?) Check(ClipViewsReported? views) =>
        views is null ? (0, 0, null, "empty message") : (views.SchemaVersion, views.SeasonNumber, views, null);
}
