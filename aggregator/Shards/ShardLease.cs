using System.Text;
using Npgsql;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// The right to write one shard, held by at most one aggregator process at a time: a session advisory lock in the
/// shard's own database, on a connection of its own. PostgreSQL releases it when the holder's session ends, which
/// happens at once when the holder's process dies (its socket closes) and within seconds when its host or network
/// does (server-side TCP keepalive and user timeout set on the session). The holder checks its connection every
/// second and gives the shard up the moment a check fails. Each of the shard's write transactions also checks, under
/// the shard's writer lock, that this session still holds the lease (<see cref="HoldsAsync"/>), so a holder that lost
/// the lease without noticing yet cannot write beside the new one.
/// </summary>
internal sealed class ShardLease(string shard, string connectionString, string holder, ILogger logger) : IAsyncDisposable
{
    /// <summary>The advisory lock's first key, the same in every shard; the second is <see cref="ObjectKey"/>.</summary>
    public const int ClassKey = 7340034;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private const string HoldsSql = """
        select exists (select from pg_locks where locktype = 'advisory' and granted and objsubid = 2
            and database = (select oid from pg_database where datname = current_database())
            and classid::bigint = $1 and objid::bigint = $2 and pid = $3)
        """;

    private const string HeldByAnyoneSql = """
        select coalesce((select a.application_name from pg_locks l join pg_stat_activity a using (pid)
            where l.locktype = 'advisory' and l.granted and l.objsubid = 2
            and l.database = (select oid from pg_database where datname = current_database())
            and l.classid::bigint = $1 and l.objid::bigint = $2), '')
        """;

    private readonly Lock _sync = new();
    private TaskCompletionSource<CancellationToken> _acquired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _holding;
    private NpgsqlConnection? _connection;

    public string Shard => shard;

    /// <summary>This process's name in pg_stat_activity.application_name of the lease's session.</summary>
    public string Holder => holder;

    /// <summary>The lock's second key: stable per shard name, so shards sharing one database do not share a lease.</summary>
    public long ObjectKey { get; } = StableKey(shard);

    /// <summary>The shard answered the last try and another session holds the lease.</summary>
    public bool HeldElsewhere { get; private set; }

    /// <summary>Whether this process should hold the lease now (<see cref="ShardLeases"/>); false gives it up.</summary>
    public Func<bool> MayHold { get; set; } = () => true;

    /// <summary>The backend process of the session that holds the lease, while it is held.</summary>
    public int? HolderPid { get; private set; }

    public bool Held
    {
        get
        {
            lock (_sync)
            {
                return _holding is { IsCancellationRequested: false };
            }
        }
    }

    /// <summary>Completes once the lease is held, with a token that is cancelled the moment it is lost.</summary>
    public Task<CancellationToken> WaitHeldAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            return _acquired.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Tries to take the lease every 2 s while it is not held, and checks it every second while it is.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _connection ??= await OpenAsync(cancellationToken);
                if (!Held)
                {
                    if (MayHold() && await TryLockAsync(_connection, cancellationToken))
                    {
                        Acquired(_connection.ProcessID);
                    }
                    else
                    {
                        await Task.Delay(RetryInterval, cancellationToken);
                        continue;
                    }
                }
                else if (!MayHold())
                {
                    logger.LogInformation("Lease of shard {Shard} given up to the instance holding an earlier shard", shard);
                    await LostAsync();
                    await Task.Delay(RetryInterval, cancellationToken);
                    continue;
                }

                await Task.Delay(CheckInterval, cancellationToken);
                await using var check = new NpgsqlCommand("select 1", _connection);
                await check.ExecuteScalarAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (Held)
                {
                    logger.LogWarning("Lease of shard {Shard} lost ({Error}); its writes and lanes stop", shard, e.Message);
                }

                HeldElsewhere = false;
                await LostAsync();
                await Task.Delay(RetryInterval, cancellationToken);
            }
        }
    }

    /// <summary>
    /// In a write transaction of the shard, after its writer lock: whether this process's lease session holds the lease.
    /// </summary>
    public async Task<bool> HoldsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (HolderPid is not { } pid || !Held)
        {
            return false;
        }

        await using var command = new NpgsqlCommand(HoldsSql, connection)
        {
            Parameters = { new() { Value = (long)ClassKey }, new() { Value = ObjectKey }, new() { Value = pid } },
        };
        var holds = (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (!holds)
        {
            // Found lost before the next check: the lanes stop now, before the next holder recreates their consumers.
            await StopHoldingAsync();
        }

        return holds;
    }

    /// <summary>The application name of the session holding the shard's lease, whichever process it is; empty when none.</summary>
    public async Task<string> ReadHolderAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(HeldByAnyoneSql);
        command.Parameters.Add(new NpgsqlParameter { Value = (long)ClassKey });
        command.Parameters.Add(new NpgsqlParameter { Value = ObjectKey });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The session is the lease: it must never go back to a pool or be shared.
            Pooling = false,
            ApplicationName = holder.Length > 63 ? holder[..63] : holder,
            Timeout = 5,
            CommandTimeout = 3,
            TcpKeepAlive = true,
            TcpKeepAliveTime = 2,
            TcpKeepAliveInterval = 1,
            // The server ends a session whose peer vanished (host or network down, no FIN) within about 5 s, which
            // releases the lease for the other instances.
            Options = "-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=5000",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock($1, $2)", connection)
        {
            Parameters = { new() { Value = ClassKey }, new() { Value = (int)ObjectKey } },
        };
        var taken = (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        HeldElsewhere = !taken;
        return taken;
    }

    private void Acquired(int pid)
    {
        lock (_sync)
        {
            HolderPid = pid;
            _holding = new CancellationTokenSource();
            _acquired.TrySetResult(_holding.Token);
        }

        logger.LogInformation("Lease of shard {Shard} taken by {Holder} (session {Pid})", shard, holder, pid);
    }

    private async Task LostAsync()
    {
        await StopHoldingAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    /// <summary>Cancels the holding token; the lease's session, if still open, is <see cref="RunAsync"/>'s to close.</summary>
    private async Task StopHoldingAsync()
    {
        CancellationTokenSource? lost;
        lock (_sync)
        {
            lost = _holding;
            _holding = null;
            HolderPid = null;
            if (_acquired.Task.IsCompleted)
            {
                _acquired = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (lost is not null)
        {
            await lost.CancelAsync();
            lost.Dispose();
        }
    }

    /// <summary>FNV-1a of the shard's name, kept to 31 bits so it reads the same as an int key and as pg_locks' objid.</summary>
    private static long StableKey(string name)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash & 0x7FFF_FFFF;
    }

    public async ValueTask DisposeAsync() => await LostAsync();
}

/// <summary>The lease of every shard of the topology, each tried and kept by its own loop.</summary>
internal sealed class ShardLeases : BackgroundService
{
    public ShardLeases(AiMoviez.Contracts.Topology topology, IConfiguration configuration, ILoggerFactory loggerFactory)
    {
        var url = configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls.Split(';')[0] : topology.Aggregator.Url;
        Holder = $"aimoviez-aggregator {url} {Environment.ProcessId}";
        var logger = loggerFactory.CreateLogger<ShardLease>();
        ByShard = topology.Shards.ToDictionary(s => s.Name, s => new ShardLease(s.Name, s.ConnectionString, Holder, logger));
        var ordered = ByShard.Values.OrderBy(l => l.Shard, StringComparer.Ordinal).ToList();
        First = ordered[0];
        // The instances converge on one holder of every shard (the other a hot standby), which keeps the daily cap,
        // kept in each process, exact: an instance leaves a shard to whoever holds an earlier one. A shard that does not
        // answer holds nobody back.
        for (var i = 1; i < ordered.Count; i++)
        {
            var earlier = ordered[..i];
            ordered[i].MayHold = () => !earlier.Any(l => l.HeldElsewhere);
        }
    }

    public string Holder { get; }

    public IReadOnlyDictionary<string, ShardLease> ByShard { get; }

    /// <summary>The unrouted lane (seasons no shard holds) goes with the lease of the first shard by name.</summary>
    public ShardLease First { get; }

    /// <summary>The lease whose holder consumes the lane.</summary>
    public ShardLease ForLane(string lane) => ByShard.TryGetValue(lane, out var lease) ? lease : First;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ByShard.Values.Select(l => Task.Run(() => l.RunAsync(stoppingToken), stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var lease in ByShard.Values)
        {
            await lease.DisposeAsync();
        }
    }
}

/// <summary>A write of a shard by a process that does not hold its lease (any longer).</summary>
internal sealed class ShardLeaseLostException(string shard) : Exception($"this process does not hold the lease of shard {shard}");
