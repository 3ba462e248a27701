namespace AiMoviez.Contracts;

/// <summary>
/// Core's admin review of flagged votes, carried out by the aggregator, which alone writes the shards (POST
/// <see cref="Route"/>). <see cref="Keep"/> clears the votes' flags; <see cref="Discount"/> also makes the counted ones
/// rejected with <see cref="FraudReviewReason"/> and takes them out of the counts.
/// </summary>
public sealed record VoteReviewRequest
{
    public const string Route = "/internal/votes/review";
    public const string Keep = "keep";
    public const string Discount = "discount";
    public const string FraudReviewReason = "FRAUD_REVIEW";

    public required string Shard { get; init; }
    public required string Action { get; init; }
    public required IReadOnlyList<Guid> VoteIds { get; init; }
}

/// <summary>The votes the review changed on the shard.</summary>
public sealed record VoteReviewResult
{
    public required IReadOnlyList<Guid> Changed { get; init; }
}

/// <summary>The names of <see cref="VoteFlags"/> bits as the admin API shows them.</summary>
public static class VoteFlagNames
{
    public static IReadOnlyList<string> Of(VoteFlags flags)
    {
        var names = new List<string>();
        if (flags.HasFlag(VoteFlags.HeadlessClient))
        {
            names.Add("headless");
        }

        if (flags.HasFlag(VoteFlags.AtRateLimit))
        {
            names.Add("burst_at_limit");
        }

        if (flags.HasFlag(VoteFlags.ManyVoterKeysFromIp))
        {
            names.Add("many_voter_keys_from_ip");
        }

        return names;
    }
}
