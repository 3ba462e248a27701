using System.Text.Json;
using AiMoviez.Aggregator.Ingest;
using AiMoviez.Aggregator.Rules;
using AiMoviez.Aggregator.Shards;
using AiMoviez.Contracts;
using BenchmarkDotNet.Attributes;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// The aggregator's own CPU per vote, without NATS or PostgreSQL: the in-process steps a batch of 10,000 new votes
/// (distinct voters, as in the ingest benchmark) goes through on its way to the shard. Results are per vote
/// (OperationsPerInvoke), with allocations, because the ingest benchmark shows the aggregator's CPU per vote but
/// not which step spends it.
/// </summary>
[MemoryDiagnoser]
public class AggregatorStepBenchmarks
{
    public const int BatchSize = 10_000;
    private const string Region = "us-east";
    private const string Shard = "shard-1";
    /// <summary>Votes per message in <see cref="DecodeGroups"/>.</summary>
    public const int GroupSize = 16;
    private static readonly string CastSubject = Subjects.VoteCast(Region, Shard);
    private static readonly string CastsSubject = Subjects.VoteCasts(Region, Shard);
    private static readonly ShardState EmptyShard = new(new Dictionary<Guid, StoredVote>(), new HashSet<Guid>(), []);

    private readonly ShardMap _shards = new(new Topology
    {
        Core = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
        Aggregator = new ServiceEndpoint { Url = "http://127.0.0.1:1" },
        CatalogDatabase = "",
        Regions = [],
        Shards = [new ShardTopology { Name = Shard, ConnectionString = "" }],
        SeasonShards = [new SeasonShardRange { FromSeason = 1, ToSeason = 1, Shards = [Shard] }],
    });

    private byte[][] _payloads = [];
    private byte[][] _groups = [];
    private List<(string Region, VoteStreamEvent Event)> _batch = [];
    private BatchPlan _plan = new();

    /// <summary>Votes spread over 1,000 clips, or every vote on one hot clip.</summary>
    [Params(1_000, 1)]
    public int Clips { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var votes = BenchmarkVotes.Distinct(Region, BatchSize, Clips).ToList();
        _payloads = votes.Select(v => JsonSerializer.SerializeToUtf8Bytes(v, ContractsJson.Default.VoteCast)).ToArray();
        _groups = votes.Chunk(GroupSize).Select(g => JsonSerializer.SerializeToUtf8Bytes(new VoteCasts { Votes = g }, ContractsJson.Default.VoteCasts)).ToArray();
        _batch = votes.Select(v => (Region, (VoteStreamEvent)v)).ToList();
        _plan = (BatchPlan)Decide();
    }

    /// <summary>JSON to a checked, routed VoteCast, as each message arrives.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int Decode()
    {
        var routed = 0;
        foreach (var payload in _payloads)
        {
            if (MessageDecoder.Decode(CastSubject, payload, _shards)[0].Shard is not null)
            {
                routed++;
            }
        }

        return routed;
    }

    /// <summary>The same votes in groups of <see cref="GroupSize"/>, as an edge sends those accepted while its last publish was in flight.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int DecodeGroups()
    {
        var routed = 0;
        foreach (var payload in _groups)
        {
            foreach (var decoded in MessageDecoder.Decode(CastsSubject, payload, _shards))
            {
                if (decoded.Shard is not null)
                {
                    routed++;
                }
            }
        }

        return routed;
    }

    /// <summary>The rules against a shard that holds none of the votes, each voter new to the day's ledger.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public object Decide()
    {
        var ledger = new DailyLedger();
        ledger.StartFresh(DateOnly.FromDateTime(DateTime.UtcNow));
        return VoteRules.Decide(_batch, EmptyShard, ledger, dailyWeightLimit: 200, final: _ => { });
    }

    /// <summary>The batch's net change per tally and day row, grouped for the one delta statement.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public object Deltas() => BatchDeltas.Of(_plan);
}
