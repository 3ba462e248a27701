using System.Globalization;

namespace AiMoviez.LocalServers;

/// <summary>
/// A Redis Cluster of three primaries and no replicas, real redis-servers in cluster mode on free loopback ports (the
/// cluster bus on a second free port each), joined with <c>redis-cli --cluster create</c>; ready once every node's
/// <c>cluster info</c> says the state is ok. The cluster serves the slots of its live primaries while one is down
/// (<c>cluster-require-full-coverage no</c>). A node can be killed with SIGKILL and started again on its ports and
/// cluster config, empty (no persistence), as a crashed primary comes back.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly Node[] _nodes;

    private RedisCluster(Node[] nodes)
    {
        _nodes = nodes;
    }

    public IReadOnlyList<int> Ports => [.. _nodes.Select(n => n.Port)];

    /// <summary>Every node's address, comma-separated, as the topology's <c>redis</c> field lists a cluster.</summary>
    public string Endpoints => string.Join(",", _nodes.Select(n => Address(n.Port)));

    public static async Task<RedisCluster> StartAsync(string dir, int size = 3)
    {
        var nodes = new Node[size];
        for (var i = 0; i < size; i++)
        {
            var nodeDir = Path.Combine(dir, $"r{i + 1}");
            Directory.CreateDirectory(nodeDir);
            nodes[i] = new Node(FreePort.Next(), FreePort.Next(), nodeDir);
        }

        var cluster = new RedisCluster(nodes);
        try
        {
            for (var i = 0; i < size; i++)
            {
                await cluster.StartAsync(i);
            }

            await ExternalProcess.RunAsync("redis-cli",
                ["--cluster", "create", .. nodes.Select(n => Address(n.Port)), "--cluster-replicas", "0", "--cluster-yes"]);
            await cluster.WaitOkAsync(TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or starts again, after <see cref="Kill"/>) one node on its ports and cluster config file.</summary>
    public async Task StartAsync(int node)
    {
        var n = _nodes[node];
        n.Process?.Dispose();
        n.Process = ExternalProcess.Start("redis-server",
            ["--port", Text(n.Port), "--cluster-port", Text(n.BusPort), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", Path.Combine(n.Dir, "nodes.conf"), "--cluster-require-full-coverage", "no",
             "--dir", n.Dir, "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            Path.Combine(n.Dir, "redis.log"));
        await FreePort.WaitListeningAsync(n.Port, TimeSpan.FromSeconds(20), () => n.Process.Tail());
    }

    public void Kill(int node) => _nodes[node].Process?.Kill();

    /// <summary>Until every node's <c>cluster info</c> says cluster_state:ok.</summary>
    public async Task WaitOkAsync(TimeSpan timeout)
    {
        foreach (var n in _nodes)
        {
            await Eventually.UntilAsync(
                async () => (await ExternalProcess.RunAsync("redis-cli", ["-p", Text(n.Port), "cluster", "info"]))
                    .Contains("cluster_state:ok", StringComparison.Ordinal),
                timeout, $"the Redis Cluster node on {n.Port} to say cluster_state:ok");
        }
    }

    /// <summary>How many keys the node on <paramref name="port"/> holds.</summary>
    public static async Task<long> KeyCountAsync(int port) =>
        long.Parse((await ExternalProcess.RunAsync("redis-cli", ["-p", Text(port), "dbsize"])).Trim(), CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            n.Process?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static string Address(int port) => "127.0.0.1:" + Text(port);

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private sealed class Node(int port, int busPort, string dir)
    {
        public int Port { get; } = port;
        public int BusPort { get; } = busPort;
        public string Dir { get; } = dir;
        public ExternalProcess? Process { get; set; }
    }
}
