using System.Text;
using AiMoviez.Contracts;
using StackExchange.Redis;

namespace AiMoviez.Core.Erasure;

/// <summary>
/// The regions' edge Redis, from the topology, for erasures only: core connects on first use and keeps the connection;
/// a region whose Redis does not answer fails its step, which the worker retries.
/// </summary>
internal sealed class RegionRedis(Topology topology) : IAsyncDisposable
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
    /// window, per-vote and per-slot dedup keys, day totals, ballot views, genre vote and idempotency keys (those named
    /// <c>*:&lt;voterKey&gt;:*</c> found by SCAN on every primary, the window and the genre vote by name), and the receipts
    /// of its votes: those named by its vote keys and those the shards gave, with the idempotency key each receipt names.
    /// </summary>
    public async Task EraseAsync(string region, string voterKey, IEnumerable<Guid> receiptVoteIds)
    {
        var redis = await ConnectAsync(region);
        var database = redis.GetDatabase();
        // The edges' keys carry the voter's hash tag (VoterBuckets); keys from before it came are named without one.
        var tag = VoterBuckets.Tag(voterKey);
        var keys = new HashSet<RedisKey> { $"rl:v:{tag}:{voterKey}", $"genre:{tag}:{voterKey}", "rl:v:" + voterKey, "genre:" + voterKey };
        var receipts = receiptVoteIds.SelectMany(ReceiptKeys).ToHashSet();
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
                // The voter's votes in a slot are one hash of vote ids (a clip's earlier multi-votes in one field,
                // space-separated); edges before it kept a key per vote and a marker per super and mega vote, which
                // live on until their slot has been closed a day.
                var oldVoteKey = name.StartsWith("vote:", StringComparison.Ordinal) || name.StartsWith("sm:", StringComparison.Ordinal);
                RedisValue[] voteIds = name.StartsWith("vs:", StringComparison.Ordinal) ? await database.HashValuesAsync(key)
                    : oldVoteKey ? [await database.StringGetAsync(key)]
                    : [];
                foreach (var voteId in voteIds.SelectMany(v => v.ToString().Split(' ')))
                {
                    if (Guid.TryParse(voteId, out var id))
                    {
                        receipts.UnionWith(ReceiptKeys(id));
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

    /// <summary>A vote's receipt, under the key its id gives and under the untagged one receipts had before.</summary>
    private static IEnumerable<RedisKey> ReceiptKeys(Guid voteId) => [VoterBuckets.ReceiptKey(voteId), "receipt:" + voteId.ToString("D")];

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
