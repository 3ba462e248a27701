using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiMoviez.Core.Audit;

internal sealed record AuditLogItem(Guid Id, string Action, string ResourceType, string ResourceId, string Actor, JsonElement Details, DateTime CreatedAt)
{
    /// <summary>A row of <c>audit_logs</c> with <c>details::text</c>.</summary>
    public static AuditLogItem Read(DbDataReader reader) => new(reader.Get<Guid>("id"), reader.Get<string>("action"),
        reader.Get<string>("resource_type"), reader.Get<string>("resource_id"), reader.Get<string>("actor"),
        JsonDocument.Parse(reader.Get<string>("details")).RootElement, reader.Get<DateTime>("created_at"));
}

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
        if (!PageRequest<Position>.TryParse(cursor, limit, defaultLimit: 50, out var page, out var problem))
        {
            return problem;
        }

        var (after, take) = page;
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
                rows.Add((reader.Get<long>("seq"), AuditLogItem.Read(reader)));
            }
        }

        // Reading the audit log is itself an admin call, so it is logged too (after the read, so it is not in this page).
        await tx.CommitAsync(AuditEntry.For(user, "audit_logs.read", "audit_log", cursor ?? "first"), ct);
        var next = rows.Count > take ? Cursor.Encode(new Position(rows[take - 1].Seq)) : null;
        return TypedResults.Ok(new Page<AuditLogItem>(rows.Take(take).Select(r => r.Item).ToList(), next));
    }
}
