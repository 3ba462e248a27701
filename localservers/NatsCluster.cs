using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace AiMoviez.LocalServers;

/// <summary>
/// A three-node JetStream cluster of real nats-servers on free loopback ports: a config file, a store dir and a
/// server name per node, routes between all three. A node can be killed with SIGKILL and started again on its ports
/// and store, as a crashed server comes back.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    private readonly Node[] _nodes;

    private NatsCluster(Node[] nodes)
    {
        _nodes = nodes;
    }

    public int Count => _nodes.Length;

    /// <summary>Every node's client address, comma-separated, as the topology's <c>nats</c> field lists a cluster.</summary>
    public string Urls => string.Join(",", _nodes.Select(n => n.Url));

    public string Url(int node) => _nodes[node].Url;

    public int? Pid(int node) => _nodes[node].Process?.Pid;

    public static async Task<NatsCluster> StartAsync(string dir, int size = 3)
    {
        var clusterName = "c" + Guid.NewGuid().ToString("N")[..8];
        var ports = Enumerable.Range(0, size).Select(_ => (Client: FreePort.Next(), Route: FreePort.Next())).ToArray();
        var routes = string.Join(", ", ports.Select(p => $"nats-route://127.0.0.1:{p.Route.ToString(CultureInfo.InvariantCulture)}"));
        var nodes = new Node[size];
        for (var i = 0; i < size; i++)
        {
            var nodeDir = Path.Combine(dir, $"n{i + 1}");
            Directory.CreateDirectory(nodeDir);
            var config = Path.Combine(nodeDir, "nats.conf");
            await File.WriteAllTextAsync(config, $$"""
                server_name: n{{i + 1}}
                listen: 127.0.0.1:{{ports[i].Client}}
                jetstream {
                  store_dir: "{{Path.Combine(nodeDir, "jetstream")}}"
                }
                cluster {
                  name: {{clusterName}}
                  listen: 127.0.0.1:{{ports[i].Route}}
                  routes: [{{routes}}]
                }
                """);
            nodes[i] = new Node(ports[i].Client, config, Path.Combine(nodeDir, "nats.log"));
        }

        var cluster = new NatsCluster(nodes);
        try
        {
            for (var i = 0; i < size; i++)
            {
                await cluster.StartAsync(i);
            }

            await cluster.WaitJetStreamAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or starts again, after <see cref="Kill"/>) one node on its ports and store.</summary>
    public async Task StartAsync(int node)
    {
        var n = _nodes[node];
        n.Process = ExternalProcess.Start("nats-server", ["-c", n.ConfigPath], n.LogPath);
        await FreePort.WaitListeningAsync(n.Port, TimeSpan.FromSeconds(20), () => n.Process.Tail());
    }

    /// <summary>SIGKILL one node, as in a crash.</summary>
    public void Kill(int node) => _nodes[node].Process?.Kill();

    public string Log(int node) => _nodes[node].Process?.Tail() ?? "(not started)";

    /// <summary>Waits until the cluster has a JetStream meta leader, which answers account info.</summary>
    public async Task WaitJetStreamAsync(TimeSpan timeout)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = Urls, ConnectTimeout = TimeSpan.FromSeconds(10) });
        var js = new NatsJSContext(connection);
        await Eventually.UntilAsync(async () =>
        {
            await js.GetAccountInfoAsync();
            return true;
        }, timeout, "a JetStream meta leader\n" + string.Join("\n", Enumerable.Range(0, Count).Select(Log)));
    }

    public ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Process?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Node(int port, string configPath, string logPath)
    {
        public int Port => port;

        public string Url => $"nats://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

        public string ConfigPath => configPath;

        public string LogPath => logPath;

        public ExternalProcess? Process { get; set; }
    }
}
