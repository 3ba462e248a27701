using System.Security.Claims;
using System.Text.Json;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Audit;

internal sealed record AuditLogItem(Guid Id, string Action, string ResourceType, string ResourceId, string Actor, JsonElement Details, DateTime CreatedAt);

internal static class AuditLogsApi
{
    private sealed record Position(long Seq);

    public static RouteGroupBuilder MapAuditLogsApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit-logs", List).WithSummary("Audit log, newest first (keyset)");
        return admin;
    }

    private static async Task<Results<Ok<Page<AuditLogItem>>, ProblemHttpResult>> List(
        string? cursor, int? limit, ClaimsPrincipal user, CatalogDatabase catalog, CancellationToken ct)
    {
        if (limit is < 1 or > 100)
        {
            return Problems.Invalid("limit must be between 1 and 100.");
        }

        if (!Cursor.TryDecode<Position>(cursor, out var after))
        {
            return Problems.Invalid("cursor is not valid.");
        }

        var take = limit ?? 50;
        await using var tx = await catalog.BeginAsync(ct);
        var rows = new List<(long Seq, AuditLogItem Item)>();
        await using (var command = tx.Command("""
            select seq, id, action, resource_type, resource_id, actor, details::text, created_at
            from audit_logs where seq < $1 order by seq desc limit $2
            """, after?.Seq ?? long.MaxValue, take + 1))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), new AuditLogItem(reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), JsonDocument.Parse(reader.GetString(6)).RootElement, reader.GetDateTime(7))));
            }
        }

        // Reading the audit log is itself an admin call, so it is logged too (after the read, so it is not in this page).
        await tx.CommitAsync(AuditEntry.For(user, "audit_logs.read", "audit_log", cursor ?? "first"), ct);
        var next = rows.Count > take ? Cursor.Encode(new Position(rows[take - 1].Seq)) : null;
        return TypedResults.Ok(new Page<AuditLogItem>(rows.Take(take).Select(r => r.Item).ToList(), next));
    }
}
