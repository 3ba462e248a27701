using System.Security.Claims;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Bans;

public sealed record SetBanRequest(bool? Banned);

/// <summary>The ban state of a user id or a voter key.</summary>
public sealed record Ban(string Kind, string Subject, bool Banned, DateTime? BannedAt);

/// <summary>Admin: ban and unban users and voter keys; edges read the lists from the catalog snapshot.</summary>
public static class BansApi
{
    public const int MaxSubjectLength = 200;

    public static RouteGroupBuilder MapBansApi(this RouteGroupBuilder admin)
    {
        admin.MapPut("/users/{userId}/ban", (string userId, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            SetBan("user", userId, request, user, catalog, ct)).WithName("BanUser").WithSummary("Ban or unban a user id");
        admin.MapPut("/voters/{voterKey}/ban", (string voterKey, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct) =>
            SetBan("voter", voterKey, request, user, catalog, ct)).WithName("BanVoter").WithSummary("Ban or unban a voter key");
        return admin;
    }

    private static async Task<Results<Ok<Ban>, ProblemHttpResult>> SetBan(
        string kind, string subject, SetBanRequest request, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            return Problems.Invalid($"The {kind} id must be 1 to {MaxSubjectLength} characters.");
        }

        if (request.Banned is not { } banned)
        {
            return Problems.Invalid("banned (true or false) is required.");
        }

        await using var tx = await catalog.BeginAsync(ct);
        DateTime? bannedAt = null;
        if (banned)
        {
            await using var command = tx.Command("""
                insert into bans (kind, subject, banned_at) values ($1, $2, now())
                on conflict (kind, subject) do update set kind = excluded.kind returning banned_at
                """, kind, subject);
            bannedAt = (DateTime)(await command.ExecuteScalarAsync(ct))!;
        }
        else
        {
            await tx.ExecuteAsync("delete from bans where kind = $1 and subject = $2", ct, kind, subject);
        }

        tx.CatalogChanged();
        await tx.CommitAsync(AuditEntry.For(user, banned ? kind + ".ban" : kind + ".unban", kind, subject,
            new Dictionary<string, object?> { ["banned"] = banned }), ct);
        return TypedResults.Ok(new Ban(kind, subject, banned, bannedAt));
    }
}
