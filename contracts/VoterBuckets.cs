namespace AiMoviez.Contracts;

/// <summary>
/// The bucket of a voter key: every Redis key an edge keeps for one voter carries the voter's hash tag, so one script
/// sees them all in a Redis Cluster; core's account erasure finds them by the same rule. FNV-1a, the same in every
/// process (string.GetHashCode is randomized per process).
/// </summary>
public static class VoterBuckets
{
    /// <summary>How many hash tags voters are spread over: a vote id has room for 10 bits (<see cref="VoteIds"/>).</summary>
    public const int Count = 1024;

    public static int Of(string voterKey)
    {
        var hash = 2166136261u;
        foreach (var c in voterKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Count);
    }

    /// <summary>The hash tag of every key of one voter: Redis Cluster hashes only what is inside the braces.</summary>
    public static string Tag(string voterKey) => "{v" + Of(voterKey).ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";

    /// <summary>A vote's receipt key, found from the vote id alone when the id carries its voter's bucket.</summary>
    public static string ReceiptKey(Guid voteId) => VoteIds.BucketOf(voteId) is { } bucket
        ? "receipt:{v" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}:" + voteId
        : "receipt:" + voteId;
}
