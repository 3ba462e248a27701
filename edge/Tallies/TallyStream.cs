using System.Text.Json;
using AiMoviez.Edge.Infrastructure;
using Microsoft.AspNetCore.Http.Features;

namespace AiMoviez.Edge.Tallies;

/// <summary>
/// One subscriber's <c>text/event-stream</c>, written by hand because SseFormatter cannot send the comment lines the
/// keep-alive needs. Frames arrive encoded from <see cref="SeasonFeed"/>, so a subscriber only copies bytes.
/// </summary>
/// <param name="initial">The current state, sent first: a reconnecting client's slot event, then the counts.</param>
internal sealed class TallyStream(Task<FeedEvent> next, long initialId, SlotChanged? initialSlot, TalliesResponse? initial) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.ContentEncoding = "identity";
        httpContext.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();

        var body = response.BodyWriter;
        var cancellationToken = httpContext.RequestAborted;
        var awaiting = next;
        var telemetry = httpContext.RequestServices.GetRequiredService<EdgeTelemetry>();
        telemetry.SubscriberJoined();
        try
        {
            // Headers go out now, so a season without counts yet still shows an open stream.
            await response.StartAsync(cancellationToken);
            if (initialSlot is not null)
            {
                await body.WriteAsync(SeasonFeed.Frame(initialId, SeasonFeed.SlotEvent, JsonSerializer.Serialize(initialSlot, EdgeJson.Default.SlotChanged)),
                    cancellationToken);
            }

            if (initial is not null)
            {
                await body.WriteAsync(SeasonFeed.Frame(initialId, SeasonFeed.TallyEvent, JsonSerializer.Serialize(initial, EdgeJson.Default.TalliesResponse)),
                    cancellationToken);
            }

            while (true)
            {
                var published = await awaiting.WaitAsync(cancellationToken);
                if ((await body.WriteAsync(published.Frame, cancellationToken)).IsCompleted)
                {
                    return;
                }

                awaiting = published.Next;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The subscriber went away.
        }
        finally
        {
            telemetry.SubscriberLeft();
        }
    }
}
