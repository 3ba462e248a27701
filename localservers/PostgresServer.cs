using System.Globalization;

namespace AiMoviez.LocalServers;

/// <summary>
/// A real PostgreSQL 15 cluster in a temp dir on a free loopback port, user `aimoviez`, trust auth.
/// PostgreSQL refuses to run as root, so as root the cluster belongs to and runs as the `postgres` user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _dataDir;
    private readonly string _logPath;

    private PostgresServer(string dataDir, int port)
    {
        _dataDir = dataDir;
        _logPath = System.IO.Path.Combine(dataDir, "..", System.IO.Path.GetFileName(dataDir) + ".log");
        Port = port;
    }

    public int Port { get; }

    /// <summary>The running cluster's postmaster, whose children are the backends; null when it is not running.</summary>
    public int? PostmasterPid
    {
        get
        {
            var pidFile = System.IO.Path.Combine(_dataDir, "postmaster.pid");
            return File.Exists(pidFile) ? int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture) : null;
        }
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=aimoviez;Database={database};Pooling=true;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartAsync(string dir, params string[] databases)
    {
        var dataDir = System.IO.Path.Combine(dir, "pg-" + Guid.NewGuid().ToString("N")[..8]);
        var server = new PostgresServer(dataDir, FreePort.Next());
        Directory.CreateDirectory(dataDir);
        File.WriteAllText(server._logPath, "");
        await AsPostgresAsync("chown", ["-R", "postgres:postgres", dir], asRoot: true);
        await AsPostgresAsync(System.IO.Path.Combine(BinDir, "initdb"),
            ["-D", dataDir, "-U", "aimoviez", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        await server.StartAsync();
        foreach (var database in databases)
        {
            await AsPostgresAsync(System.IO.Path.Combine(BinDir, "createdb"),
                ["-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", "aimoviez", database]);
        }

        return server;
    }

    // fsync=off only matters when the machine itself crashes; synchronous_commit stays on, so a commit the aggregator
    // acked survives the immediate stops the tests use as crashes. A fresh cluster has no WAL segments to recycle, and
    // zero-filling each new 16 MB segment runs inside the writing backend; a server that has run a while recycles its
    // segments instead, so wal_init_zero=off models it.
    public Task StartAsync() => AsPostgresAsync("env", [$"GLIBC_TUNABLES={MallocTunables}", System.IO.Path.Combine(BinDir, "pg_ctl"),
        "-D", _dataDir, "-l", _logPath, "-w", "-t", "60", "-o",
         $"-p {Port} -c listen_addresses=127.0.0.1 -k {_dataDir} -c fsync=off -c full_page_writes=off -c wal_init_zero=off -c max_connections=200",
         "start"]);

    /// <summary>
    /// glibc's malloc settings for the server, as a shard runs (the aimoviez script and terraform/README.md): a writer
    /// backend's working memory for a batch (its parameter arrays, the rows of each unnest) was handed back to the
    /// kernel after every statement and faulted in again, zeroed, for the next one. Kept in the process, it is reused
    /// (the difference per vote: perf/RESULTS.md).
    /// </summary>
    public const string MallocTunables = "glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432";

    /// <summary>Immediate shutdown: like a crash, no checkpoint.</summary>
    public Task StopAsync() => AsPostgresAsync(System.IO.Path.Combine(BinDir, "pg_ctl"),
        ["-D", _dataDir, "-m", "immediate", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
    }

    private static Task<string> AsPostgresAsync(string command, IEnumerable<string> arguments, bool asRoot = false)
    {
        if (Environment.UserName != "root" || asRoot)
        {
            return Environment.UserName == "root" || !asRoot
                ? ExternalProcess.RunAsync(command, arguments, TimeSpan.FromSeconds(90))
                : Task.FromResult("");
        }

        return ExternalProcess.RunAsync("runuser", ["-u", "postgres", "--", command, .. arguments], TimeSpan.FromSeconds(90));
    }
}
