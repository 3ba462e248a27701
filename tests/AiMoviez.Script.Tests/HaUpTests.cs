using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiMoviez.Script.Tests;

/// <summary>
/// CONTRACT.md section 9: <c>./aimoviez up --ha</c> runs the production layout (per region three clustered NATS nodes,
/// three Redis Cluster primaries and two edges; two aggregators) under the names <c>status</c> prints, brings back
/// what was killed, refuses the default <c>up</c> meanwhile, and <c>down</c> stops it all.
/// </summary>
public sealed class HaUpTests
{
    private static readonly string[] Processes =
    [
        "supervisord", "dashboard", "pg-catalog", "pg-shard-1", "pg-shard-2",
        "nats-us-east-1", "nats-us-east-2", "nats-us-east-3", "redis-us-east-1", "redis-us-east-2", "redis-us-east-3",
        "core", "aggregator-1", "aggregator-2", "edge-us-east-1", "edge-us-east-2",
    ];

    /// <summary>One NATS node, one Redis primary, one edge and one aggregator, all at once.</summary>
    private static readonly string[] Killed = ["nats-us-east-2", "redis-us-east-3", "edge-us-east-1", "aggregator-1"];

    [Fact]
    public async Task Up_ha_runs_every_process_of_the_layout_counts_a_vote_through_the_second_edge_and_brings_back_killed_nodes()
    {
        await using var stack = new ScriptStack(ha: true);
        var up = await UpAsync(stack);
        Assert.Contains("Creating the Redis Cluster of us-east", up.Output, StringComparison.Ordinal);
        var first = await AllHealthyAsync(stack);
        Assert.Equal(Processes.Order(StringComparer.Ordinal), first.Keys.Order(StringComparer.Ordinal));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await stack.TokenAsync("voter-ha-1"));
        var voteId = await VoteAsync(http, stack, first["edge-us-east-2"].Address);
        await CountedAsync(http, first["edge-us-east-1"].Address, voteId);

        foreach (var name in Killed)
        {
            ScriptStack.KillHard(first[name].Pid!.Value);
        }

        // The restarted Redis node rejoins from its nodes.conf: no second create.
        var again = await UpAsync(stack, "after kill -9 of " + string.Join(", ", Killed));
        Assert.DoesNotContain("Creating the Redis Cluster", again.Output, StringComparison.Ordinal);
        var now = await AllHealthyAsync(stack);
        Assert.All(Killed, name => Assert.NotEqual(first[name].Pid, now[name].Pid));

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await stack.TokenAsync("voter-ha-2"));
        var after = await VoteAsync(http, stack, now["edge-us-east-1"].Address);
        await CountedAsync(http, now["edge-us-east-2"].Address, after);

        // Both layouts listen on the same ports.
        var clash = await stack.UpOtherLayoutAsync();
        Assert.True(clash.ExitCode != 0 && clash.Output.Contains("the ha stack is running", StringComparison.Ordinal), clash.Output);

        var down = await stack.DownAsync();
        Assert.True(down.ExitCode == 0, $"down exited with {down.ExitCode}:\n{down.Output}");
        Assert.All(await stack.StatusAsync(), line => Assert.Equal(("stopped", (int?)null), (line.Value.State, line.Value.Pid)));
        Assert.DoesNotContain(first.Values.Concat(now.Values).Select(line => line.Pid!.Value), ScriptStack.IsRunning);
        Assert.Empty(stack.RunningProcessesOfTheStack());
    }

    /// <summary>A standard vote on a clip of the seeded season, accepted (202) by that edge; its vote id.</summary>
    private static async Task<string> VoteAsync(HttpClient http, ScriptStack stack, string edge)
    {
        var season = (await File.ReadAllTextAsync(Path.Combine(stack.LayoutState, "seeded"))).Trim();
        // The edge learns of the seeded season from core's catalog, shortly after the seeding.
        var ballot = await Eventually.UntilAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri($"{edge}/v1/ballot?seasonId={season}&limit=1"));
                return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            },
            body => body?["clips"]?.AsArray().Count > 0, TimeSpan.FromSeconds(30), $"a ballot of season {season} at {edge}");
        var clipId = ballot!["clips"]![0]!["clipId"]!.GetValue<string>();
        using var vote = await http.PostAsJsonAsync(new Uri($"{edge}/v1/votes"), new { clipId, voteType = "standard" });
        var body = await vote.Content.ReadAsStringAsync();
        Assert.True(vote.StatusCode == HttpStatusCode.Accepted, $"vote at {edge}: {(int)vote.StatusCode} {body}");
        return JsonNode.Parse(body)!["voteId"]!.GetValue<string>();
    }

    /// <summary>The vote's receipt, read at an edge of the region, says counted: it is in the shard's tally.</summary>
    private static Task CountedAsync(HttpClient http, string edge, string voteId) =>
        Eventually.UntilAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri($"{edge}/v1/votes/{voteId}"));
                return response.IsSuccessStatusCode
                    && JsonNode.Parse(await response.Content.ReadAsStringAsync())?["status"]?.GetValue<string>() == "counted";
            },
            TimeSpan.FromSeconds(60), $"vote {voteId} to be counted (receipt at {edge})");

    private static async Task<ScriptRun> UpAsync(ScriptStack stack, string when = "")
    {
        var run = await stack.UpAsync();
        Assert.True(run.ExitCode == 0, $"up --ha {when} exited with {run.ExitCode}:\n{run.Output}");
        return run;
    }

    private static async Task<IReadOnlyDictionary<string, StatusLine>> AllHealthyAsync(ScriptStack stack)
    {
        var status = await stack.StatusAsync();
        Assert.All(status.Values, line => Assert.True(line.Healthy && line.Pid is not null, $"{line} in\n{string.Join('\n', status.Values)}"));
        return status;
    }
}
