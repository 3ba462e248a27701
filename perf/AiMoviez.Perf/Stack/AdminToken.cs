using System.Diagnostics;

namespace AiMoviez.Perf.Stack;

/// <summary>The admin JWT for the pipeline view: given on the command line, else minted by `./aimoviez token --admin`.</summary>
public static class AdminToken
{
    public static async Task<string?> ResolveAsync(PerfOptions options, CancellationToken cancellationToken)
    {
        if (options.AdminToken is { Length: > 0 } given)
        {
            return given;
        }

        var script = Path.Combine(options.RepoRoot, "aimoviez");
        if (!File.Exists(script))
        {
            return null;
        }

        var start = new ProcessStartInfo(script, ["token", "--admin"])
        {
            WorkingDirectory = options.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start);
        if (process is null)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return null;
        }

        var token = (await output).Trim().Split('\n').LastOrDefault()?.Trim();
        return process.ExitCode == 0 && token is { Length: > 0 } ? token : null;
    }
}
