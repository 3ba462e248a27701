using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Slots;

/// <summary>A voting slot whose time ran out.</summary>
internal sealed record DueSlot(Guid SeasonId, int SeasonNumber, int Position, DateTime VotingEndsAt);

/// <summary>
/// Closes voting slots (CONTRACT section 6): only after the aggregator's barrier says every accepted vote is in the
/// tally, then the winner is chosen from the shard's tallies and the losers carry over to the next slot.
/// </summary>
internal sealed class SlotCloser(CatalogDatabase catalog, SlotTallies slotTallies, AggregatorClient aggregator,
    IOptions<SlotOptions> options, TimeProvider time, ILogger<SlotCloser> logger)
{
    public TimeSpan Grace => options.Value.BarrierGrace;

    /// <summary>Voting slots past votingEndsAt + grace, oldest first.</summary>
    public async Task<IReadOnlyList<DueSlot>> FindDueAsync(CancellationToken ct)
    {
        await using var command = catalog.DataSource.CreateCommand("""
            select sl.season_id, se.number, sl.position, sl.voting_ends_at
            from slots sl join seasons se on se.id = sl.season_id
            where sl.status = 'voting' and sl.voting_ends_at <= $1
            order by sl.voting_ends_at limit 100
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = time.GetUtcNow().UtcDateTime - Grace });
        var due = new List<DueSlot>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            due.Add(new DueSlot(reader.Get<Guid>("season_id"), reader.Get<int>("number"), reader.Get<int>("position"), reader.Get<DateTime>("voting_ends_at")));
        }

        return due;
    }

    /// <summary>Closes the slot if the barrier is drained; false when it must wait (or someone else closed it).</summary>
    public async Task<bool> TryCloseAsync(DueSlot slot, CancellationToken ct)
    {
        if (time.GetUtcNow().UtcDateTime < slot.VotingEndsAt + Grace)
        {
            return false;
        }

        if (!await aggregator.IsDrainedAsync(slot.SeasonId, slot.SeasonNumber, ct))
        {
            return false;
        }

        var tallies = await slotTallies.ReadAsync(slot.SeasonNumber, slot.SeasonId, slot.Position, ct);
        await using var tx = await catalog.BeginAsync(ct);
        var locked = await SlotTransitions.LockAsync(tx, slot.SeasonId, slot.Position, slot.VotingEndsAt,
            candidates => WinnerChoice.Choose(SlotTallies.Apply(candidates, tallies)), ct);
        if (locked is null)
        {
            return false;
        }

        await tx.CommitAsync(audit: null, ct);
        logger.LogInformation("Closed season {SeasonId} slot {Slot}: winner {Winner}", slot.SeasonId, slot.Position, locked.WinnerClipId);
        return true;
    }
}
