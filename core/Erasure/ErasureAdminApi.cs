using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Bans;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Me;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Erasure;

/// <summary>Admin: the erasure a user can ask for themselves (<c>DELETE /v1/me</c>), on request.</summary>
internal static class ErasureAdminApi
{
    public static RouteGroupBuilder MapErasureAdminApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/users/{userId}/erase", Erase).WithSummary("Erase a user's data on every shard and region (202; completes in the background)");
        return admin;
    }

    private static async Task<Results<Accepted<ErasureAccepted>, ProblemHttpResult>> Erase(
        string userId, ClaimsPrincipal user, ErasureRequests erasures, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(userId) || userId.Length > BansApi.MaxSubjectLength)
        {
            return Problems.Invalid($"The user id must be 1 to {BansApi.MaxSubjectLength} characters.");
        }

        var accepted = await erasures.RequestAsync(UserKeys.Of(userId), AuditEntry.For(user, "user.erase", "user", userId), ct);
        return TypedResults.Accepted((string?)null, accepted);
    }
}
