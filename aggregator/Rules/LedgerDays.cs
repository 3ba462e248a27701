using System.Data;
using AiMoviez.Aggregator.Shards;
using Npgsql;

namespace AiMoviez.Aggregator.Rules;

/// <summary>Loads a day into the <see cref="DailyLedger"/> from every shard's voter_days, once per day.</summary>
internal sealed class LedgerDays(DailyLedger ledger, ShardDataSources shards)
{
    private readonly Dictionary<DateOnly, Task> _loading = [];

    /// <summary>Fails while any shard does not answer: a day total is exact only with every shard's share.</summary>
    public async Task EnsureLoadedAsync(IEnumerable<DateOnly> days, CancellationToken cancellationToken)
    {
        foreach (var day in days.Distinct())
        {
            if (ledger.IsLoaded(day))
            {
                continue;
            }

            Task load;
            lock (_loading)
            {
                if (!_loading.TryGetValue(day, out load!) || load.IsFaulted || load.IsCanceled)
                {
                    load = LoadAsync(day, cancellationToken);
                    _loading[day] = load;
                }
            }

            await load;
        }
    }

    /// <summary>Forgets which days were loaded, after the ledger was reset.</summary>
    public void Forget()
    {
        lock (_loading)
        {
            _loading.Clear();
        }
    }

    /// <summary>
    /// Reads one shard's day rows of the days from <paramref name="fromDay"/> to <paramref name="toDay"/>, a row per voter,
    /// season and day, with the shard's write count in the same snapshot (<see cref="LedgerRows.Writes"/>): the ledger
    /// adds a voter's seasons up as it loads them. Summing them here instead took a hash aggregate over every row of the
    /// day, which outgrows PostgreSQL's work_mem on a busy day and spills to disk.
    /// </summary>
    public static async Task<LedgerRows> ReadAsync(NpgsqlDataSource dataSource, string shard,
        DateOnly fromDay, DateOnly toDay, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        long writes;
        await using (var count = new NpgsqlCommand(ShardSchema.ReadWritesSql, connection, transaction) { Parameters = { new() { Value = shard } } })
        {
            writes = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        await using var command = new NpgsqlCommand(
            "select voter_key, utc_day, weight + held_weight as weight from voter_days where utc_day between $1 and $2", connection, transaction)
        {
            Parameters = { new() { Value = fromDay }, new() { Value = toDay } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        // The columns are looked up by name once, not for each of millions of rows.
        var (voterKey, utcDay, weight) = (reader.GetOrdinal("voter_key"), reader.GetOrdinal("utc_day"), reader.GetOrdinal("weight"));
        var rows = new LedgerRows { Writes = writes };
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(reader.GetString(voterKey), reader.GetFieldValue<DateOnly>(utcDay), reader.GetInt64(weight));
        }

        return rows;
    }

    private async Task LoadAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var perShard = await Task.WhenAll(shards.ByShard.Select(s => ReadAsync(s.Value, s.Key, day, day, cancellationToken)));
        foreach (var rows in perShard)
        {
            ledger.Load(rows);
        }

        ledger.MarkLoaded(day);
    }
}
