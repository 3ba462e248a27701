namespace AiMoviez.Testing;

/// <summary>A real nats-server with JetStream file storage on a free loopback port.</summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _storeDir;
    private readonly string _logPath;
    private ExternalProcess? _process;

    private NatsServer(string dir, int port)
    {
        Port = port;
        _storeDir = System.IO.Path.Combine(dir, "jetstream");
        _logPath = System.IO.Path.Combine(dir, "nats.log");
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public int? Pid => _process?.Pid;

    public static async Task<NatsServer> StartAsync(string dir, int? port = null)
    {
        var server = new NatsServer(dir, port ?? FreePort.Next());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        _process = ExternalProcess.Start("nats-server",
            ["-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", _storeDir],
            _logPath);
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(20), () => _process.Tail());
    }

    /// <summary>SIGKILL, as in a crash; JetStream file storage keeps what it had stored.</summary>
    public void Kill() => _process?.Kill();

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
