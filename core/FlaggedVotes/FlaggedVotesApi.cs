using System.Security.Claims;
using AiMoviez.Contracts;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Slots;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.FlaggedVotes;

internal sealed record ReviewFlaggedVotesRequest(IReadOnlyList<string>? VoteIds, string? Action);

internal sealed record ReviewFlaggedVotesResponse(string Action, IReadOnlyList<FlaggedVote> Items);

/// <summary>
/// Admin: the votes the edges flagged as suspicious, across every shard, and their review. The aggregator carries a
/// review out (it alone writes the shards and keeps the counts exact); core checks the request, finds the votes and
/// refuses a discount in a locked slot.
/// </summary>
internal static class FlaggedVotesApi
{
    public const int MaxReview = 500;

    public static RouteGroupBuilder MapFlaggedVotesApi(this RouteGroupBuilder admin)
    {
        var flagged = admin.MapGroup("/votes/flagged");
        flagged.MapGet("/", List).WithSummary("Flagged votes on every shard, newest first (keyset), optionally of one season");
        flagged.MapPost("/review", Review).WithSummary("Keep (clear the flags) or discount (reject, out of the counts) flagged votes");
        return admin;
    }

    private static async Task<Results<Ok<Page<FlaggedVote>>, ProblemHttpResult>> List(
        string? seasonId, string? cursor, int? limit, ClaimsPrincipal user, CatalogDatabase catalog, FlaggedVoteStore store,
        CancellationToken ct)
    {
        Guid? season = null;
        if (seasonId is not null)
        {
            if (!Guid.TryParse(seasonId, out var id))
            {
                return Problems.Invalid("seasonId must be a UUID.");
            }

            season = id;
        }

        if (!PageRequest<FlaggedVoteStore.Position>.TryParse(cursor, limit, defaultLimit: 50, out var page, out var problem))
        {
            return problem;
        }

        var (after, take) = page;
        var votes = await store.ListAsync(season, after, take + 1, ct);
        await using var tx = await catalog.BeginAsync(ct);
        await tx.CommitAsync(AuditEntry.For(user, "votes.flagged_read", "vote", cursor ?? "first"), ct);
        var next = votes.Count > take ? Cursor.Encode(new FlaggedVoteStore.Position(votes[take - 1].AcceptedAt, votes[take - 1].VoteId)) : null;
        return TypedResults.Ok(new Page<FlaggedVote>([.. votes.Take(take)], next));
    }

    /// <summary>
    /// All or nothing as far as core can tell: a bad id, an unknown one (404) or a locked slot (409) changes nothing.
    /// Answers the asked votes as they are after the review.
    /// </summary>
    private static async Task<Results<Ok<ReviewFlaggedVotesResponse>, ProblemHttpResult>> Review(
        ReviewFlaggedVotesRequest request, ClaimsPrincipal user, CatalogDatabase catalog, FlaggedVoteStore store,
        AggregatorClient aggregator, CancellationToken ct)
    {
        if (request.Action is not (VoteReviewRequest.Keep or VoteReviewRequest.Discount))
        {
            return Problems.Invalid("action must be keep or discount.");
        }

        if (request.VoteIds is not { Count: > 0 and <= MaxReview } ids)
        {
            return Problems.Invalid($"voteIds must list 1 to {MaxReview} vote ids.");
        }

        var voteIds = new HashSet<Guid>();
        foreach (var id in ids)
        {
            if (!Guid.TryParse(id, out var voteId))
            {
                return Problems.Invalid("voteIds must be UUIDs.");
            }

            voteIds.Add(voteId);
        }

        var found = await store.FindAsync([.. voteIds], ct);
        if (voteIds.Except(found.Select(f => f.Vote.VoteId)).ToList() is { Count: > 0 } unknown)
        {
            return Problems.NotFound($"No vote has the id {string.Join(", ", unknown)}.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        if (request.Action == VoteReviewRequest.Discount
            && await SlotStore.AnyLockedAsync(tx, [.. found.Select(f => (f.Vote.SeasonId, f.Vote.SlotPosition)).Distinct()], ct) is { } locked)
        {
            return Problems.Conflict($"Slot {locked.Position} of season {locked.SeasonId} is locked; its votes are final.");
        }

        var changed = new List<Guid>();
        foreach (var shard in found.GroupBy(f => f.Shard))
        {
            var result = await aggregator.ReviewVotesAsync(new VoteReviewRequest
            {
                Shard = shard.Key,
                Action = request.Action,
                VoteIds = [.. shard.Select(f => f.Vote.VoteId)],
            }, ct);
            if (result is null)
            {
                return Problems.Unavailable("The aggregator did not review the votes; repeat the call.");
            }

            changed.AddRange(result.Changed);
        }

        await tx.CommitAsync(AuditEntry.For(user, "votes.review_" + request.Action, "vote", voteIds.Count == 1 ? voteIds.First() : "batch",
            new Dictionary<string, object?> { ["action"] = request.Action, ["voteIds"] = voteIds.ToArray(), ["changed"] = changed.ToArray() }), ct);
        var after = await store.FindAsync([.. voteIds], ct);
        return TypedResults.Ok(new ReviewFlaggedVotesResponse(request.Action,
            [.. after.Select(f => f.Vote).OrderByDescending(v => v.AcceptedAt).ThenByDescending(v => v.VoteId.ToString("N"), StringComparer.Ordinal)]));
    }
}
