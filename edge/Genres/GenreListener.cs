using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using NATS.Client.Core;

namespace AiMoviez.Edge.Genres;

/// <summary>Feeds <see cref="GenreBoard"/> from the aggregator's <c>genres.tally</c> messages.</summary>
internal sealed class GenreListener(INatsConnection nats, GenreBoard board, ILogger<GenreListener> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        CoreNatsFeed.FollowAsync<GenreTally>(nats, Subjects.GenreTally, board.Offer, logger, stoppingToken);
}
