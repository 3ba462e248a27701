using System.Globalization;
using AiMoviez.Contracts;
using Npgsql;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// Finds the processes of the stack by the port each one listens on, from the topology: whatever started them
/// (`./aimoviez up`, a supervisor, a test), the process holding the listening socket is the one serving it. Names
/// are those of `./aimoviez status`.
/// </summary>
public static class StackProcesses
{
    private const string TcpListen = "0A";

    /// <summary>Every process of the stack with its listening port, as `./aimoviez` names them.</summary>
    public static IReadOnlyList<(string Name, int Port)> Listeners(Topology topology)
    {
        var listeners = new List<(string, int)> { ("pg-catalog", new NpgsqlConnectionStringBuilder(topology.CatalogDatabase).Port) };
        listeners.AddRange(topology.Shards.Select(s => ("pg-" + s.Name, new NpgsqlConnectionStringBuilder(s.ConnectionString).Port)));
        foreach (var region in topology.Regions)
        {
            listeners.AddRange(Numbered("nats-" + region.Name, Servers(region.Nats).Select(s => new Uri(s).Port).ToList()));
            listeners.AddRange(Numbered("redis-" + region.Name,
                Servers(region.Redis).Select(s => int.Parse(s[(s.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)).ToList()));
        }

        listeners.AddRange(DotnetServices(topology).Select(s => (s.Name, s.Url.Port)));
        return listeners;
    }

    /// <summary>The .NET services, core, the aggregators and the edges, under their process names, each with its base URL.</summary>
    public static IReadOnlyList<(string Name, Uri Url)> DotnetServices(Topology topology) =>
    [
        ("core", new Uri(topology.Core.Url)),
        .. Numbered("aggregator", (topology.AggregatorUrls ?? [topology.Aggregator.Url]).Select(u => new Uri(u)).ToList()),
        .. topology.Regions.SelectMany(Edges),
    ];

    /// <summary>The region's edges under their process names: `edge-us-east`, or `edge-us-east-1`, `-2` where several serve it.</summary>
    public static IEnumerable<(string Name, Uri Url)> Edges(RegionTopology region) =>
        Numbered("edge-" + region.Name, (region.EdgeUrls ?? [region.EdgeUrl]).Select(u => new Uri(u)).ToList());

    /// <summary>A comma-separated server list (a cluster) or one server.</summary>
    private static IEnumerable<string> Servers(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>One of a kind keeps its name; several are numbered from 1, as `./aimoviez status` names them.</summary>
    private static IEnumerable<(string Name, T Item)> Numbered<T>(string name, IReadOnlyList<T> items) =>
        items.Count == 1 ? [(name, items[0])] : items.Select((item, i) => ($"{name}-{i + 1}", item));

    /// <summary>
    /// The pid of the top-most process holding each listener's socket (a PostgreSQL postmaster, not its backends),
    /// for the listeners found; a port nobody listens on, or whose owner this user may not inspect, is left out.
    /// </summary>
    public static Dictionary<string, int> Find(Topology topology)
    {
        var listeners = Listeners(topology);
        var inodesByPort = ListeningSocketInodes();
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, port) in listeners)
        {
            foreach (var inode in inodesByPort.GetValueOrDefault(port) ?? [])
            {
                wanted[inode] = port;
            }
        }

        var holdersByPort = new Dictionary<int, HashSet<int>>();
        foreach (var pid in ProcFs.Pids())
        {
            foreach (var inode in SocketInodes(pid))
            {
                if (wanted.TryGetValue(inode, out var port))
                {
                    if (!holdersByPort.TryGetValue(port, out var holders))
                    {
                        holdersByPort[port] = holders = [];
                    }

                    holders.Add(pid);
                }
            }
        }

        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, port) in listeners)
        {
            if (holdersByPort.GetValueOrDefault(port) is { Count: > 0 } holders)
            {
                // A child that inherited the socket (a forked worker) is counted with its parent, so the parent is the root.
                found[name] = holders.Where(pid => !holders.Contains(ProcFs.ParentOf(pid) ?? 0)).DefaultIfEmpty(holders.Min()).Min();
            }
        }

        return found;
    }

    /// <summary>/proc/net/tcp and tcp6: listening sockets' inodes by local port.</summary>
    private static Dictionary<int, List<string>> ListeningSocketInodes()
    {
        var result = new Dictionary<int, List<string>>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != TcpListen)
                {
                    continue;
                }

                var port = int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (!result.TryGetValue(port, out var inodes))
                {
                    result[port] = inodes = [];
                }

                inodes.Add(fields[9]);
            }
        }

        return result;
    }

    private static IEnumerable<string> SocketInodes(int pid)
    {
        string[] fds;
        try
        {
            fds = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var fd in fds)
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            // "socket:[12345]"
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                yield return target[8..^1];
            }
        }
    }
}

/// <summary>The few /proc reads the samplers share.</summary>
public static class ProcFs
{
    public static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(n => n is { Length: > 0 } && n.All(char.IsAsciiDigit))
            .Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    /// <summary>/proc/pid/stat fields after the parenthesised command name (which may contain spaces): [0] is state, [1] the parent.</summary>
    public static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static int? ParentOf(int pid) => StatFields(pid) is { } fields && int.TryParse(fields[1], out var parent) ? parent : null;
}
