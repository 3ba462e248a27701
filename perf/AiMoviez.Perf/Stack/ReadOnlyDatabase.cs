using Npgsql;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// A loopback PostgreSQL the tool only reads: every session is forced read-only, so a bug in the tool can never change
/// the data it checks or measures.
/// </summary>
public static class ReadOnlyDatabase
{
    public static NpgsqlDataSource Create(string connectionString, int maxPoolSize) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(LoopbackGuard.CheckConnectionString(connectionString))
        {
            Options = "-c default_transaction_read_only=on",
            Timeout = 5,
            CommandTimeout = 60,
            MaxPoolSize = maxPoolSize,
        }.ConnectionString);
}
