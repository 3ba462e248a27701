using System.Diagnostics;

namespace AiMoviez.LocalServers;

/// <summary>A child process with its output in a log file; stopped by pid (SIGKILL) when disposed or when the test run exits.</summary>
public sealed class ExternalProcess : IDisposable
{
    private static readonly List<ExternalProcess> Running = [];
    private readonly Process _process;

    static ExternalProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Running)
            {
                foreach (var p in Running.ToArray())
                {
                    p.Kill();
                }
            }
        };
    }

    private ExternalProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Sends a signal by its name (STOP, CONT) with kill(1).</summary>
    public Task SignalAsync(string signal) =>
        RunAsync("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>
    /// Waits for an exited process's output to reach the log: HasExited turns true before the asynchronous readers
    /// have written its last lines, which are the ones that say why it stopped.
    /// </summary>
    public void WaitForOutput() => _process.WaitForExit();

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, string logPath,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(logPath)!,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) => Write(log, $"[process exited with {SafeExitCode(process)}]");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new ExternalProcess(process, logPath);
        lock (Running)
        {
            Running.Add(started);
        }

        return started;
    }

    /// <summary>Runs a short command to completion and returns its output; throws naming the command when it fails.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', info.ArgumentList)}' exited with {process.ExitCode}: {await stderr}{await stdout}");
        }

        return await stdout;
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a crash.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        lock (Running)
        {
            Running.Remove(this);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The log closed with the test run.
            }
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}
