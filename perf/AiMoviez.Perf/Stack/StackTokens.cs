using System.Diagnostics;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// The development JWTs the tool needs: an admin one (the run's own season, the pipeline view) and a creator one (a
/// user's, for the season's clips). Given on the command line, else minted by `./aimoviez token`, so the signing key
/// never has to leave the script.
/// </summary>
public static class StackTokens
{
    public const string CreatorSubject = "bench-creator";

    public static Task<string?> AdminAsync(PerfOptions options, CancellationToken cancellationToken) =>
        ResolveAsync(options.AdminToken, options.RepoRoot, ["token", "--admin"], cancellationToken);

    public static Task<string?> CreatorAsync(PerfOptions options, CancellationToken cancellationToken) =>
        ResolveAsync(options.CreatorToken, options.RepoRoot, ["token", "--user", CreatorSubject], cancellationToken);

    private static async Task<string?> ResolveAsync(string? given, string repoRoot, string[] arguments, CancellationToken cancellationToken)
    {
        if (given is { Length: > 0 })
        {
            return given;
        }

        var script = Path.Combine(repoRoot, "aimoviez");
        if (!File.Exists(script))
        {
            return null;
        }

        var start = new ProcessStartInfo(script, arguments)
        {
            WorkingDirectory = repoRoot,
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
