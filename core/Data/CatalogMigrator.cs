using System.Reflection;
using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>Applies the embedded Data/Migrations/*.sql in order, each once, recorded in schema_migrations.</summary>
internal static class CatalogMigrator
{
    /// <summary>Session advisory lock: two cores starting at once apply each migration exactly once.</summary>
    private const long MigrationLockKey = 0x41694d6f7669_01;

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, "select pg_advisory_lock($1)", ct, MigrationLockKey);
        try
        {
            await Execute(connection, """
                create table if not exists schema_migrations (
                    version int primary key,
                    name text not null,
                    applied_at timestamptz not null default now())
                """, ct);
            var applied = new HashSet<int>();
            await using (var command = new NpgsqlCommand("select version from schema_migrations", connection))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.Get<int>("version"));
                }
            }

            foreach (var (version, name, sql) in EmbeddedMigrations())
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using (var command = new NpgsqlCommand(sql, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(ct);
                }

                await using (var record = new NpgsqlCommand("insert into schema_migrations (version, name) values ($1, $2)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = version });
                    record.Parameters.Add(new NpgsqlParameter { Value = name });
                    await record.ExecuteNonQueryAsync(ct);
                }

                await transaction.CommitAsync(ct);
                logger.LogInformation("Applied catalog migration {Name}", name);
            }
        }
        finally
        {
            await Execute(connection, "select pg_advisory_unlock($1)", CancellationToken.None, MigrationLockKey);
        }
    }

    private static IEnumerable<(int Version, string Name, string Sql)> EmbeddedMigrations()
    {
        var assembly = Assembly.GetExecutingAssembly();
        const string Prefix = "AiMoviez.Core.Data.Migrations.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = resource[Prefix.Length..];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return (version, name, reader.ReadToEnd());
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(ct);
    }
}
