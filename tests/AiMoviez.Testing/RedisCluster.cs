using System.Globalization;

namespace AiMoviez.Testing;

/// <summary>
/// A Redis Cluster of three primaries and no replicas, real redis-servers in cluster mode on free loopback ports (the
/// cluster bus on a second free port each), joined with <c>redis-cli --cluster create</c>; ready once every node's
/// <c>cluster info</c> says the state is ok.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly List<ExternalProcess> _processes = [];

    private RedisCluster(int[] ports)
    {
        Ports = ports;
    }

    public IReadOnlyList<int> Ports { get; }

    /// <summary>Every node's address, comma-separated, as the topology's <c>redis</c> field lists a cluster.</summary>
    public string Endpoints => string.Join(",", Ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));

    public static async Task<RedisCluster> StartAsync(string dir, int size = 3)
    {
        var ports = Enumerable.Range(0, size).Select(_ => FreePort.Next()).ToArray();
        var cluster = new RedisCluster(ports);
        try
        {
            for (var i = 0; i < size; i++)
            {
                var nodeDir = Path.Combine(dir, $"r{i + 1}");
                Directory.CreateDirectory(nodeDir);
                var port = ports[i].ToString(CultureInfo.InvariantCulture);
                var process = ExternalProcess.Start("redis-server",
                    ["--port", port, "--cluster-port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(nodeDir, "nodes.conf"), "--dir", nodeDir,
                     "--save", "", "--appendonly", "no", "--protected-mode", "no"],
                    Path.Combine(nodeDir, "redis.log"));
                cluster._processes.Add(process);
                await FreePort.WaitListeningAsync(ports[i], TimeSpan.FromSeconds(20), () => process.Tail());
            }

            await ExternalProcess.RunAsync("redis-cli",
                ["--cluster", "create", .. ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)),
                 "--cluster-replicas", "0", "--cluster-yes"]);
            foreach (var port in ports)
            {
                await Eventually.UntilAsync(
                    async () => (await ExternalProcess.RunAsync("redis-cli",
                        ["-p", port.ToString(CultureInfo.InvariantCulture), "cluster", "info"])).Contains("cluster_state:ok", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30), $"the Redis Cluster node on {port} to say cluster_state:ok");
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many keys the node on <paramref name="port"/> holds.</summary>
    public static async Task<long> KeyCountAsync(int port) =>
        long.Parse((await ExternalProcess.RunAsync("redis-cli", ["-p", port.ToString(CultureInfo.InvariantCulture), "dbsize"])).Trim(),
            CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
