using AiMoviez.Core.Data;
using AiMoviez.Core.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiMoviez.Core.Slots;

/// <summary>
/// Every few seconds closes the voting slots whose time ran out, on one core instance at a time; the row checks in
/// <see cref="SlotTransitions.LockAsync"/> keep even overlapping closers from advancing a slot twice.
/// </summary>
internal sealed class SlotCloseLoop(CatalogDatabase catalog, SlotCloser closer, IOptions<SlotOptions> options, ILogger<SlotCloseLoop> logger)
    : ExclusivePeriodicService(catalog, logger)
{
    protected override long LockKey => 0x41694d6f7669_02;

    protected override TimeSpan Interval => options.Value.CheckInterval;

    protected override async Task RunPassAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        foreach (var slot in await closer.FindDueAsync(ct))
        {
            await closer.TryCloseAsync(slot, ct);
        }
    }
}
