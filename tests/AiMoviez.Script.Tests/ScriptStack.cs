using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AiMoviez.Script.Tests;

/// <summary>One line of <c>./aimoviez status</c>.</summary>
public sealed record StatusLine(string Name, int? Pid, string Address, string State)
{
    public bool Healthy => State == "healthy";
}

/// <summary>What a run of the script did: its exit code and its output (stdout and stderr together).</summary>
public sealed record ScriptRun(int ExitCode, string Output);

/// <summary>
/// The local stack as <c>./aimoviez up</c> runs it, in a temp state dir, from a copy of <c>regions/regions.json</c>
/// whose every port is a free one (so it never meets a developer's stack on the default ports), and with the services
/// this test run built (<c>AIMOVIEZ_SERVICE_BIN</c>) instead of a Native AOT publish. With <c>ha</c>, the production
/// layout (<c>up --ha</c>) of <c>regions/regions-ha.json</c> cut to its first region, so it stays small.
/// </summary>
public sealed partial class ScriptStack : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "aimoviez");
    private readonly TempDirectory _dir = new("script");
    private readonly Dictionary<string, string> _environment;
    private readonly string[] _layout;

    public ScriptStack(bool ha = false)
    {
        State = Path.Combine(_dir.Path, "state");
        _layout = ha ? ["--ha"] : [];
        var topology = _dir.FilePath("regions.json");
        File.WriteAllText(topology, WithFreePorts(File.ReadAllText(RepoPaths.RegionsFile), FreePort.Next));
        var haTopology = _dir.FilePath("regions-ha.json");
        File.WriteAllText(haTopology, WithFreePorts(FirstRegionOnly(File.ReadAllText(Path.Combine(RepoPaths.Root, "regions", "regions-ha.json"))), FreePortWithClusterPort));
        _environment = new Dictionary<string, string>
        {
            ["AIMOVIEZ_STATE"] = State,
            ["AIMOVIEZ_TOPOLOGY"] = topology,
            ["AIMOVIEZ_HA_TOPOLOGY"] = haTopology,
            ["AIMOVIEZ_SERVICE_BIN"] = ServiceBin(_dir.Sub("bin")),
            ["AIMOVIEZ_DASHBOARD_URL"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["AIMOVIEZ_DASHBOARD_OTLP_GRPC"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["AIMOVIEZ_DASHBOARD_OTLP_HTTP"] = $"http://127.0.0.1:{FreePort.Next()}",
        };
    }

    public string State { get; }

    /// <summary>Where this layout keeps its data, logs and supervisord (the HA one in its own folder).</summary>
    public string LayoutState => _layout.Length == 0 ? State : Path.Combine(State, "ha");

    public Task<ScriptRun> UpAsync() => RunAsync(TimeSpan.FromMinutes(4), ["up", .. _layout]);

    public Task<ScriptRun> DownAsync(params string[] options) => RunAsync(TimeSpan.FromMinutes(2), ["down", .. _layout, .. options]);

    /// <summary>The other layout's <c>up</c> on the same state dir.</summary>
    public Task<ScriptRun> UpOtherLayoutAsync() => RunAsync(TimeSpan.FromMinutes(4), _layout.Length == 0 ? ["up", "--ha"] : ["up"]);

    public async Task<string> TokenAsync(string user)
    {
        var run = await RunAsync(TimeSpan.FromMinutes(1), "token", "--user", user);
        Assert.True(run.ExitCode == 0, $"token exited with {run.ExitCode}:\n{run.Output}");
        return run.Output.Trim();
    }

    public async Task<IReadOnlyDictionary<string, StatusLine>> StatusAsync()
    {
        var run = await RunAsync(TimeSpan.FromMinutes(1), ["status", .. _layout]);
        Assert.True(run.ExitCode == 0, $"status exited with {run.ExitCode}:\n{run.Output}");
        return run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length == 4 && fields[0] != "NAME")
            .Select(fields => new StatusLine(fields[0],
                fields[1] == "-" ? null : int.Parse(fields[1], CultureInfo.InvariantCulture), fields[2], fields[3]))
            .ToDictionary(line => line.Name);
    }

    /// <summary>
    /// Every running process that carries the stack's marker variable (each program <c>up</c> starts does, and so do
    /// PostgreSQL's backends): what is left of the stack, whoever its parent is now.
    /// </summary>
    public IReadOnlyList<int> RunningProcessesOfTheStack()
    {
        var marker = "AIMOVIEZ_STACK=" + LayoutState;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !IsRunning(pid))
            {
                continue;
            }

            if (EnvironmentOf(pid).Contains(marker, StringComparer.Ordinal))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>The process's environment as NAME=value entries; none when it is gone meanwhile, or not ours to read.</summary>
    public static IReadOnlyList<string> EnvironmentOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The process exists and is not a zombie (dead, waiting for a parent to reap it).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X" or "x");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL, as a crash or an operator's <c>kill -9</c>.</summary>
    public static void KillHard(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DownAsync("--purge");
        }
        finally
        {
            // A stack the script failed to stop must not outlive the test run.
            foreach (var pid in RunningProcessesOfTheStack())
            {
                try
                {
                    KillHard(pid);
                }
                catch (ArgumentException)
                {
                }
            }

            _dir.Dispose();
        }
    }

    private async Task<ScriptRun> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"./aimoviez {string.Join(' ', arguments)} did not finish within {timeout}:\n{Text(output)}");
        }

        // The asynchronous readers have seen the end of both streams once the no-timeout wait returns.
        await process.WaitForExitAsync();
        return new ScriptRun(process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    /// <summary>The topology with each port it names (addresses and connection strings) moved to a free one.</summary>
    private static string WithFreePorts(string topology, Func<int> freePort)
    {
        var moved = new Dictionary<string, int>();
        string Move(string port)
        {
            if (!moved.TryGetValue(port, out var free))
            {
                free = freePort();
                moved[port] = free;
            }

            return free.ToString(CultureInfo.InvariantCulture);
        }

        topology = Address().Replace(topology, m => m.Groups[1].Value + Move(m.Groups[2].Value));
        return ConnectionPort().Replace(topology, m => m.Groups[1].Value + Move(m.Groups[2].Value));
    }

    /// <summary>
    /// A free port whose port + 10000 is free too: the script puts a clustered NATS node's routes and a Redis node's
    /// cluster bus there.
    /// </summary>
    private static int FreePortWithClusterPort()
    {
        while (true)
        {
            var port = FreePort.Next();
            if (port + 10000 > IPEndPoint.MaxPort)
            {
                continue;
            }

            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port + 10000);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another one.
            }
        }
    }

    private static string FirstRegionOnly(string topology)
    {
        var root = JsonNode.Parse(topology)!.AsObject();
        var regions = root["regions"]!.AsArray();
        while (regions.Count > 1)
        {
            regions.RemoveAt(regions.Count - 1);
        }

        return root.ToJsonString();
    }

    /// <summary>
    /// Folders laid out as <c>.aimoviez/bin</c> (edge, aggregator, core) pointing at what this test run uses: the
    /// build output, or the published services when <see cref="RepoPaths.PublishedServicesVariable"/> is set.
    /// </summary>
    private static string ServiceBin(string bin)
    {
        foreach (var (folder, assembly) in new[] { ("edge", "AiMoviez.Edge"), ("aggregator", "AiMoviez.Aggregator"), ("core", "AiMoviez.Core") })
        {
            var built = Path.GetDirectoryName(RepoPaths.ServiceProgram(folder, assembly))!;
            Directory.CreateSymbolicLink(Path.Combine(bin, folder), built);
        }

        return bin;
    }

    [GeneratedRegex(@"(127\.0\.0\.1:)([0-9]+)")]
    private static partial Regex Address();

    [GeneratedRegex(@"(Port=)([0-9]+)")]
    private static partial Regex ConnectionPort();
}
