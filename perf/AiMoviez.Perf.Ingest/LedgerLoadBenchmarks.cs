using System.Globalization;
using AiMoviez.Aggregator.Rules;
using BenchmarkDotNet.Attributes;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// The daily ledger's load at the aggregator's start: each shard's day rows of yesterday and today, as
/// <see cref="LedgerDays.ReadAsync"/> returns them, into an empty ledger, one shard after the other. Every row is a
/// device voter of its own. Results are per row.
/// </summary>
[MemoryDiagnoser]
public class LedgerLoadBenchmarks
{
    public const int Shards = 2;
    public const int RowsPerShard = 1_000_000;

    private LedgerRows[] _rowsByShard = [];

    [GlobalSetup]
    public void Setup()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        _rowsByShard = Enumerable.Range(0, Shards)
            .Select(shard => LedgerRows.Of(Enumerable.Range(shard * RowsPerShard, RowsPerShard)
                .Select(i => ("device_" + i.ToString("x32", CultureInfo.InvariantCulture), today.AddDays(-(i % 2)), (long)(1 + (i % 5))))))
            .ToArray();
    }

    [Benchmark(OperationsPerInvoke = Shards * RowsPerShard)]
    public object Load()
    {
        var ledger = new DailyLedger();
        foreach (var rows in _rowsByShard)
        {
            ledger.Load(rows);
        }

        return ledger;
    }
}
