using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using NATS.Client.Core;

namespace AiMoviez.Edge.Tallies;

/// <summary>Feeds <see cref="TallyBoard"/> from the aggregator's <c>tallies.&lt;seasonId&gt;</c> messages.</summary>
internal sealed class TallyListener(INatsConnection nats, TallyBoard board, ILogger<TallyListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        CoreNatsFeed.FollowAsync<SlotTally>(nats, Subjects.AllTallies, board.Offer, logger, stoppingToken);
}
