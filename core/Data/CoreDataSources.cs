using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>Core's connections to the catalog and the shards, made one way.</summary>
internal static class CoreDataSources
{
    /// <summary>
    /// A data source with PostgreSQL's JIT compilation off. Core's statements are short, but the planner prices a lateral
    /// over a rollup batch's thousands of keys above the JIT thresholds, and compiling such a statement took most of its
    /// time, anew for each batch (perf/RESULTS.md, "Where a new leaderboard row goes").
    /// </summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = $"{builder.Options} -c jit=off".TrimStart();
        return NpgsqlDataSource.Create(builder);
    }
}
