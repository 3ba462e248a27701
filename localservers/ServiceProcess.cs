namespace AiMoviez.LocalServers;

/// <summary>
/// One of our services (core, aggregator, an edge) running as a real process: a dll on <c>dotnet</c>, or a published
/// Native AOT executable (see <see cref="RepoPaths.ServiceProgram"/>).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string _program;
    private readonly string _logPath;
    private readonly Dictionary<string, string?> _environment;
    private ExternalProcess? _process;

    public ServiceProcess(string name, string program, string baseUrl, string logDir, IReadOnlyDictionary<string, string?> environment)
    {
        Name = name;
        _program = program;
        BaseUrl = baseUrl.TrimEnd('/');
        _logPath = Path.Combine(logDir, name + ".log");
        // Defaults first, so a caller's own value for one of them wins.
        _environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_gcServer"] = "0",
            ["Logging__LogLevel__Default"] = "Information",
        };
        foreach (var (key, value) in environment)
        {
            _environment[key] = value;
        }
    }

    public string Name { get; }

    public string BaseUrl { get; }

    public int? Pid => _process?.Pid;

    public string Log => _process?.Tail(80) ?? "(not started)";

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var (file, arguments) = _program.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", new[] { _program }) : (_program, []);
        _process = ExternalProcess.Start(file, arguments, _logPath, _environment, Path.GetDirectoryName(_program));
        await WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    public async Task WaitHealthyAsync(TimeSpan timeout, string path = "/healthz")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
            {
                _process.WaitForOutput();
                throw new InvalidOperationException($"{Name} exited during start:\n{Log}");
            }

            try
            {
                using var response = await Http.GetAsync(BaseUrl + path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} not answering {path} 200 within {timeout}:\n{Log}");
    }

    public Task WaitReadyAsync(TimeSpan timeout) => WaitHealthyAsync(timeout, "/readyz");

    /// <summary>SIGKILL, as in a crash.</summary>
    public void Kill() => _process?.Kill();

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
