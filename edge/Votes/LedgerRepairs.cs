using System.Threading.Channels;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// Redis writes that must land after the request that needed them was answered: the undo of a vote answered 503 (its
/// script may run late, see <see cref="VoteScripts.Undo"/>) and the vote state of a revoke already published. One
/// worker retries each until Redis takes it; each is idempotent, so retrying after a lost answer is harmless. Held in
/// memory, bounded: an edge that restarts (or a queue full after a very long outage) loses some, and what they would
/// have freed stays blocked until its keys expire; no vote is ever published twice or counted without its 202.
/// </summary>
internal sealed partial class LedgerRepairs(IOptions<EdgeOptions> options, ILogger<LedgerRepairs> logger) : BackgroundService
{
    private const int Capacity = 100_000;

    private readonly Channel<(string What, Func<Task> Write)> _pending =
        Channel.CreateBounded<(string, Func<Task>)>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    public void Enqueue(string what, Func<Task> write)
    {
        if (!_pending.Writer.TryWrite((what, write)))
        {
            LogDropped(logger, what);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (what, write) in _pending.Reader.ReadAllAsync(stoppingToken))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await write();
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Whatever failed, the write is retried: this worker must outlive any client fault.
                    if (attempt == 1)
                    {
                        LogRetrying(logger, what, e.Message);
                    }

                    await Task.Delay(options.Value.RedisTimeout, stoppingToken);
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis did not take {What}; retrying until it does: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string what, string reason);

    [LoggerMessage(LogLevel.Error, "Dropped {What}: too many Redis repairs pending")]
    private static partial void LogDropped(ILogger logger, string what);
}
