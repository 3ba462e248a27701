using System.Text.Json;
using AiMoviez.Contracts;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

/// <summary>The bench names the processes of either layout as `./aimoviez status` does (CONTRACT.md section 9).</summary>
public sealed class StackProcessNamesTests
{
    [Fact]
    public void The_ha_layout_s_processes_are_named_one_by_one_and_its_edges_are_all_loaded()
    {
        var topology = Read("regions-ha.json");

        var names = StackProcesses.Listeners(topology).Select(l => l.Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("nats-us-east-1", names);
        Assert.Contains("nats-us-east-3", names);
        Assert.Contains("redis-ap-south-3", names);
        Assert.Contains("edge-eu-west-2", names);
        Assert.Contains("aggregator-1", names);
        Assert.Contains("aggregator-2", names);
        Assert.Equal(6, StackAddresses.FromTopology(topology, []).Edges.Count);
        Assert.Equal("aggregators", Report.CpuPerVote.Group("aggregator-2"));
    }

    [Fact]
    public void The_default_layout_keeps_one_name_per_process()
    {
        var topology = Read("regions.json");

        var names = StackProcesses.Listeners(topology).Select(l => l.Name).ToList();

        Assert.Contains("nats-us-east", names);
        Assert.Contains("redis-eu-west", names);
        Assert.Contains("edge-ap-south", names);
        Assert.Contains("aggregator", names);
        Assert.Equal(3, StackAddresses.FromTopology(topology, []).Edges.Count);
    }

    private static Topology Read(string file) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(RepoPaths.Root, "regions", file)), ContractsJson.Default.Topology)!;
}
