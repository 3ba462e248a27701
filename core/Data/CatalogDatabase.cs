using System.Text.Json;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Catalog;
using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>The catalog PostgreSQL: every read and every change of seasons, clips, flags, bans and the audit log.</summary>
internal sealed class CatalogDatabase(NpgsqlDataSource dataSource, CatalogChangePublisher publisher)
{
    public NpgsqlDataSource DataSource => dataSource;

    public async Task<CatalogTransaction> BeginAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            return new CatalogTransaction(connection, transaction, publisher);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// One change of the catalog: the audit entry and the snapshot version bump are written in the same transaction,
/// and edges are told after the commit.
/// </summary>
internal sealed class CatalogTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, CatalogChangePublisher publisher) : IAsyncDisposable
{
    private bool _catalogChanged;

    public NpgsqlCommand Command(string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    public async Task<int> ExecuteAsync(string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Marks the change as visible to edges: bumps the snapshot version at commit and publishes catalog.changed after it.</summary>
    public void CatalogChanged() => _catalogChanged = true;

    public async Task CommitAsync(AuditEntry? audit, CancellationToken ct)
    {
        if (audit is not null)
        {
            await ExecuteAsync("""
                insert into audit_logs (id, action, resource_type, resource_id, actor, details, created_at)
                values ($1, $2, $3, $4, $5, $6::jsonb, now())
                """, ct, Guid.CreateVersion7(), audit.Action, audit.ResourceType, audit.ResourceId, audit.Actor,
                JsonSerializer.Serialize(audit.Details ?? new Dictionary<string, object?>()));
        }

        if (_catalogChanged)
        {
            // Last statement: the row lock that orders versions is held only until the commit right after it.
            await ExecuteAsync("update catalog_state set version = version + 1 where id = 1", ct);
        }

        await transaction.CommitAsync(ct);
        if (_catalogChanged)
        {
            await publisher.PublishAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
