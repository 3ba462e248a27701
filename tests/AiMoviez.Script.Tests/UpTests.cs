
namespace AiMoviez.Script.Tests;

/// <summary>
/// CONTRACT.md section 1: <c>up</c> restores any process of the stack that is not running, however it died, whatever
/// the host's PID 1 does with orphans (a zombie or a recycled pid is not a live service); <c>down</c> stops every
/// process <c>up</c> started.
/// </summary>
public sealed class UpTests
{
    /// <summary>One process of each kind the stack runs, and supervisord, which runs them.</summary>
    private static readonly string[] OneOfEachKind = ["pg-shard-1", "nats-eu-west", "redis-ap-south", "core", "aggregator", "edge-us-east", "supervisord"];

    [Fact]
    public async Task Up_brings_back_each_kind_of_process_killed_with_sigkill_and_down_leaves_nothing_running()
    {
        await using var stack = new ScriptStack();
        await UpAsync(stack);
        var first = await AllHealthyAsync(stack);
        var seen = first.Values.Select(line => line.Pid!.Value).ToHashSet();

        // The Go runtime's settings each nats-server runs with (perf/RESULTS.md): one scheduler, freed memory lent, and
        // the runtime's monitor thread on its own timer rather than woken by the server's system calls.
        var nats = ScriptStack.EnvironmentOf(first["nats-eu-west"].Pid!.Value);
        Assert.Contains("GOMAXPROCS=1", nats);
        Assert.Contains("GODEBUG=madvdontneed=0,schedtrace=2147483647", nats);

        // Idempotent: a second up changes nothing.
        var again = await UpAsync(stack);
        Assert.Contains("nothing changed", again.Output, StringComparison.Ordinal);
        Assert.Equal(first.Values.Select(l => (l.Name, l.Pid)), (await AllHealthyAsync(stack)).Values.Select(l => (l.Name, l.Pid)));

        foreach (var name in OneOfEachKind)
        {
            var killed = (await stack.StatusAsync())[name].Pid!.Value;
            ScriptStack.KillHard(killed);
            await UpAsync(stack, $"after kill -9 of {name} (pid {killed})");
            var now = await AllHealthyAsync(stack);
            Assert.NotEqual(killed, now[name].Pid);
            seen.UnionWith(now.Values.Select(line => line.Pid!.Value));
        }

        var down = await stack.DownAsync();
        Assert.True(down.ExitCode == 0, $"down exited with {down.ExitCode}:\n{down.Output}");
        Assert.All(await stack.StatusAsync(), line => Assert.Equal(("stopped", (int?)null), (line.Value.State, line.Value.Pid)));
        Assert.DoesNotContain(seen, ScriptStack.IsRunning);
        Assert.Empty(stack.RunningProcessesOfTheStack());
    }

    [Fact]
    public async Task Down_stops_what_a_killed_supervisord_left_running_and_up_then_starts_on_the_kept_data()
    {
        await using var stack = new ScriptStack();
        await UpAsync(stack);
        var before = await AllHealthyAsync(stack);
        ScriptStack.KillHard(before["supervisord"].Pid!.Value);
        await Eventually.UntilAsync(() => Task.FromResult(!ScriptStack.IsRunning(before["supervisord"].Pid!.Value)), TimeSpan.FromSeconds(30), "supervisord to die");
        var orphans = await stack.StatusAsync();
        Assert.Equal("stopped", orphans["supervisord"].State);
        Assert.Equal("healthy (unsupervised)", orphans["core"].State);

        var down = await stack.DownAsync();
        Assert.True(down.ExitCode == 0, $"down exited with {down.ExitCode}:\n{down.Output}");
        Assert.DoesNotContain(before.Values.Select(line => line.Pid!.Value), ScriptStack.IsRunning);
        Assert.Empty(stack.RunningProcessesOfTheStack());

        var again = await UpAsync(stack);
        Assert.DoesNotContain("Seeding", again.Output, StringComparison.Ordinal);
        await AllHealthyAsync(stack);
    }

    private static async Task<ScriptRun> UpAsync(ScriptStack stack, string when = "")
    {
        var run = await stack.UpAsync();
        Assert.True(run.ExitCode == 0, $"up {when} exited with {run.ExitCode}:\n{run.Output}");
        return run;
    }

    private static async Task<IReadOnlyDictionary<string, StatusLine>> AllHealthyAsync(ScriptStack stack)
    {
        var status = await stack.StatusAsync();
        Assert.Contains("supervisord", status.Keys);
        Assert.All(status.Values, line => Assert.True(line.Healthy && line.Pid is not null, $"{line} in\n{string.Join('\n', status.Values)}"));
        return status;
    }
}
