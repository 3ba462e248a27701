using AiMoviez.Perf.Report;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Tests;

public sealed class RuntimePerVoteTests
{
    /// <summary>The lines the services' Prometheus exporter writes for the System.Runtime meter, trimmed.</summary>
    private const string Scrape = """
        # TYPE dotnet_gc_heap_total_allocated_bytes_total counter
        # UNIT dotnet_gc_heap_total_allocated_bytes_total bytes
        dotnet_gc_heap_total_allocated_bytes_total{otel_scope_name="System.Runtime"} 2332646040
        # TYPE dotnet_gc_collections_total counter
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen0"} 120
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen1"} 7
        dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 1
        dotnet_thread_pool_work_item_count_total{otel_scope_name="System.Runtime"} 1.448221E6
        dotnet_monitor_lock_contentions_total{otel_scope_name="System.Runtime"} 33
        aimoviez_edge_votes_total{otel_scope_name="AiMoviez.Edge",code="OK",outcome="accepted",region="us-east",shard="shard-2"} 27666
        """;

    [Fact]
    public void The_runtime_counters_are_read_from_prometheus_text_gen0_apart_from_the_older_generations()
    {
        var reading = RuntimeProbe.Parse(Scrape);

        Assert.Equal(new RuntimeReading(AllocatedBytes: 2_332_646_040, ThreadPoolWorkItems: 1_448_221, Gen0Collections: 120, LockContentions: 33), reading);
    }

    [Fact]
    public void Metrics_without_the_runtime_counters_give_no_reading()
    {
        Assert.Null(RuntimeProbe.Parse("aimoviez_edge_votes_total{code=\"OK\"} 5\n"));
    }

    [Fact]
    public void Each_service_s_counts_are_divided_by_the_votes_the_stack_accepted_and_a_restarted_or_missing_one_is_left_out()
    {
        var start = new RuntimeSnapshot(new Dictionary<string, RuntimeReading>
        {
            ["edge-us-east"] = new(1_000_000, 500, 10, 0),
            ["edge-eu-west"] = new(2_000_000, 700, 20, 1),
            ["aggregator"] = new(9_000_000, 100, 3, 0),
            ["core"] = new(5_000_000, 50, 1, 0),
        });
        var end = new RuntimeSnapshot(new Dictionary<string, RuntimeReading>
        {
            // 10,240,000 bytes and 30,000 work items over 10,000 votes: 1 KB and 3 work items a vote.
            ["edge-us-east"] = new(11_240_000, 30_500, 15, 2),
            ["edge-eu-west"] = new(7_120_000, 20_700, 30, 1),
            // Restarted in the window: its totals began again.
            ["aggregator"] = new(1_000, 10, 0, 0),
            // Not read at the start.
            ["edge-ap-south"] = new(9_000_000, 9_000, 9, 9),
        });

        var runtime = RuntimePerVote.From(start, end, acceptedVotes: 10_000);

        Assert.Equal(["edge-eu-west", "edge-us-east"], runtime.Processes.Select(p => p.Name));
        var usEast = runtime.Processes.Single(p => p.Name == "edge-us-east");
        Assert.Equal(new ProcessRuntime("edge-us-east", "edges", AllocatedKilobytesPerVote: 1, WorkItemsPerVote: 3,
            Gen0CollectionsPerThousandVotes: 0.5, LockContentionsPerThousandVotes: 0.2), usEast);
        Assert.Equal(1.5, runtime.Groups["edges"].AllocatedKilobytesPerVote);
        Assert.Equal(5, runtime.Groups["edges"].WorkItemsPerVote);
        Assert.Equal(1.5, runtime.Groups["edges"].Gen0CollectionsPerThousandVotes);
        Assert.False(runtime.Groups.ContainsKey("aggregator"));
    }
}
