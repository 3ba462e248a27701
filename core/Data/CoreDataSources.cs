using Npgsql;

namespace AiMoviez.Core.Data;

/// <summary>Core's connections to the catalog and the shards, made one way.</summary>
internal static class CoreDataSources
{
    /// <summary>
    /// A data source with PostgreSQL's JIT compilation off. Core's statements are short, but the planner prices a lateral
    /// over a rollup batch's thousands of keys above the JIT thresholds and compiled each such statement anew, up to
    /// 170 ms of a catalog backend's time per batch for nothing it runs long enough to repay (perf/RESULTS.md, "Where a new
    /// leaderboard row goes").
    /// </summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = string.Join(' ', new[] { builder.Options, "-c jit=off" }.Where(o => !string.IsNullOrEmpty(o)));
        return NpgsqlDataSource.Create(builder);
    }
}
