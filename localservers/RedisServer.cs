namespace AiMoviez.LocalServers;

/// <summary>A real redis-server on a free loopback port, no persistence.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private ExternalProcess? _process;

    private RedisServer(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public int? Pid => _process?.Pid;

    public static async Task<RedisServer> StartAsync(string dir, int? port = null)
    {
        var server = new RedisServer(dir, port ?? FreePort.Next());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        _process = ExternalProcess.Start("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--dir", _dir, "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            System.IO.Path.Combine(_dir, "redis.log"));
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(20), () => _process.Tail());
    }

    public void Kill() => _process?.Kill();

    /// <summary>SIGSTOP: the server keeps its sockets open but answers nothing, as in a hang (a long fork, a full disk).</summary>
    public Task FreezeAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT after <see cref="FreezeAsync"/>; call it in a finally so a failed test leaves no frozen server.</summary>
    public Task ThawAsync() => SignalAsync("CONT");

    private Task SignalAsync(string signal) =>
        (_process ?? throw new InvalidOperationException("redis-server is not running.")).SignalAsync(signal);

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
