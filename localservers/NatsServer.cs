namespace AiMoviez.LocalServers;

/// <summary>A real nats-server with JetStream file storage on a free loopback port.</summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _storeDir;
    private readonly string _logPath;
    private readonly string? _configPath;
    private ExternalProcess? _process;

    private NatsServer(string dir, int port, string? configPath)
    {
        Port = port;
        _configPath = configPath;
        _storeDir = System.IO.Path.Combine(dir, "jetstream");
        _logPath = System.IO.Path.Combine(dir, "nats.log");
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public int? Pid => _process?.Pid;

    /// <param name="config">Extra nats-server configuration (e.g. an <c>authorization</c> block), written to a file.</param>
    public static async Task<NatsServer> StartAsync(string dir, int? port = null, string? config = null)
    {
        string? configPath = null;
        if (config is not null)
        {
            configPath = System.IO.Path.Combine(dir, "nats.conf");
            await File.WriteAllTextAsync(configPath, config);
        }

        var server = new NatsServer(dir, port ?? FreePort.Next(), configPath);
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        string[] arguments = ["-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", _storeDir];
        _process = ExternalProcess.Start("nats-server", _configPath is null ? arguments : ["-c", _configPath, .. arguments], _logPath);
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(20), () => _process.Tail());
    }

    /// <summary>SIGKILL, as in a crash; JetStream file storage keeps what it had stored.</summary>
    public void Kill() => _process?.Kill();

    /// <summary>SIGSTOP: the server keeps its sockets open but answers nothing; what clients send waits in the sockets.</summary>
    public Task FreezeAsync() => Process.SignalAsync("STOP");

    /// <summary>SIGCONT after <see cref="FreezeAsync"/>; call it in a finally so a failed test leaves no frozen server.</summary>
    public Task ThawAsync() => Process.SignalAsync("CONT");

    private ExternalProcess Process => _process ?? throw new InvalidOperationException("nats-server is not running.");

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
