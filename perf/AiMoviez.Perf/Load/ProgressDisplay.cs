namespace AiMoviez.Perf.Load;

/// <summary>
/// A live status line: redrawn in place each second on a terminal, one line every five seconds when the output is a
/// file or a pipe (so logs stay readable).
/// </summary>
public static class ProgressDisplay
{
    public static async Task RunAsync(string label, Func<string> status, TimeSpan maxDuration, CancellationToken cancellationToken)
    {
        var interactive = !Console.IsOutputRedirected;
        var maxTicks = (int)maxDuration.TotalSeconds + 1;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            for (var tick = 1; tick <= maxTicks && await timer.WaitForNextTickAsync(cancellationToken); tick++)
            {
                if (interactive)
                {
                    var line = $"[{label}] {status()}";
                    Console.Write("\r" + line.PadRight(Math.Max(0, Math.Min(Console.WindowWidth - 1, 160))));
                }
                else if (tick % 5 == 0)
                {
                    Console.WriteLine($"[{label}] {status()}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The load finished.
        }

        if (interactive)
        {
            Console.WriteLine($"\r[{label}] {status()}");
        }
    }
}
