using System.Text;
using AiMoviez.Contracts;
using StackExchange.Redis;

namespace AiMoviez.Core.Erasure;

/// <summary>
/// The regions' edge Redis, from the topology, for erasures only: core connects on first use and keeps the connection;
/// a region whose Redis does not answer fails its step, which the worker retries.
/// </summary>
public sealed class RegionRedis(Topology topology) : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private readonly Dictionary<string, string> _endpoints = topology.Regions.ToDictionary(r => r.Name, r => r.Redis);
    private readonly Dictionary<string, Task<ConnectionMultiplexer>> _connections = [];
    private readonly Lock _sync = new();

    public IReadOnlyCollection<string> Names => _endpoints.Keys;

    public Task<ConnectionMultiplexer> ConnectAsync(string region)
    {
        lock (_sync)
        {
            if (!_connections.TryGetValue(region, out var connection) || connection.IsFaulted)
            {
                var options = ConfigurationOptions.Parse(_endpoints[region]);
                // Reconnects in the background after an outage instead of failing for good.
                options.AbortOnConnectFail = false;
                options.ConnectTimeout = options.SyncTimeout = options.AsyncTimeout = (int)Timeout.TotalMilliseconds;
                connection = ConnectionMultiplexer.ConnectAsync(options);
                _connections[region] = connection;
            }

            return connection;
        }
    }

    /// <summary>
    /// Deletes what the region's edges keep for the voter key (CONTRACT section 4 keys, edge/Votes/VoteLedger.cs): its rate
    /// window, per-vote and per-slot dedup keys, day totals and idempotency keys (all named <c>*:&lt;voterKey&gt;:*</c>,
    /// found by SCAN on every primary), and the receipts of its votes: those named by its vote keys and those the shards
    /// gave, with the idempotency key each receipt names.
    /// </summary>
    public async Task EraseAsync(string region, string voterKey, IEnumerable<Guid> receiptVoteIds)
    {
        var redis = await ConnectAsync(region);
        var database = redis.GetDatabase();
        var keys = new HashSet<RedisKey> { "rl:v:" + voterKey, "genre:" + voterKey };
        var receipts = receiptVoteIds.Select(id => (RedisKey)("receipt:" + id.ToString("D"))).ToHashSet();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            if (!server.IsConnected)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, $"Redis of region {region} is not connected.");
            }

            await foreach (var key in server.KeysAsync(pattern: "*:" + GlobEscape(voterKey) + ":*", pageSize: 1000))
            {
                keys.Add(key);
                var name = key.ToString();
                if (name.StartsWith("vote:", StringComparison.Ordinal) || name.StartsWith("sm:", StringComparison.Ordinal))
                {
                    var voteId = await database.StringGetAsync(key);
                    if (!voteId.IsNullOrEmpty)
                    {
                        receipts.Add("receipt:" + voteId);
                    }
                }
            }
        }

        foreach (var receipt in receipts)
        {
            var idempotencyKey = await database.HashGetAsync(receipt, "idem");
            if (!idempotencyKey.IsNullOrEmpty)
            {
                keys.Add(idempotencyKey.ToString());
            }

            keys.Add(receipt);
        }

        // One key per call: in a Redis Cluster the keys live in different hash slots.
        await Task.WhenAll(keys.Select(key => database.KeyDeleteAsync(key)));
    }

    private static string GlobEscape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values)
        {
            if (connection.IsCompletedSuccessfully)
            {
                await connection.Result.DisposeAsync();
            }
        }
    }
}
