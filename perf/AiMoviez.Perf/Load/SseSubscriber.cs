using System.Text.Json;
using AiMoviez.Perf.Stack;

namespace AiMoviez.Perf.Load;

public sealed record SseSummary(int Subscribers, int Connected, long TallyEvents, double MeanLagMs, double MaxLagMs);

/// <summary>
/// Viewers watching live counts: each holds GET /v1/tallies/stream open and notes, per <c>tally</c> event, how old
/// the counts are (now minus <c>asOf</c>). Bounded by the cancellation the caller gives (the load's duration).
/// </summary>
public sealed class SseSubscribers(EdgeEndpoint[] edges, Guid seasonId, int subscribers)
{
    private readonly Lock _lock = new();
    private readonly List<double> _lagsMs = [];
    private int _connected;

    public async Task<SseSummary> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        using var http = LoopbackHttp.CreateHttp11(subscribers, Timeout.InfiniteTimeSpan);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        await Task.WhenAll(Enumerable.Range(0, subscribers).Select(i => SubscribeAsync(http, edges[i % edges.Length], stop.Token)));
        lock (_lock)
        {
            return new SseSummary(subscribers, _connected, _lagsMs.Count,
                _lagsMs.Count == 0 ? 0 : Math.Round(_lagsMs.Average(), 1), _lagsMs.Count == 0 ? 0 : Math.Round(_lagsMs.Max(), 1));
        }
    }

    private async Task SubscribeAsync(HttpClient http, EdgeEndpoint edge, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(edge.BaseUri, $"/v1/tallies/stream?seasonId={seasonId}"));
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            Interlocked.Increment(ref _connected);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            var eventName = "";
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    eventName = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal) && eventName == "tally")
                {
                    RecordTally(line[5..].Trim());
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The load is over.
        }
        catch (HttpRequestException)
        {
            // Counted as not connected (or dropped); the summary shows how many stayed.
        }
        catch (IOException)
        {
            // The edge closed the stream.
        }
    }

    private void RecordTally(string json)
    {
        try
        {
            if (JsonSerializer.Deserialize(json, ApiJson.Default.TallyBody) is { } tally)
            {
                var lag = Math.Max(0, (DateTimeOffset.UtcNow - tally.AsOf).TotalMilliseconds);
                lock (_lock)
                {
                    _lagsMs.Add(lag);
                }
            }
        }
        catch (JsonException)
        {
            // A malformed event is not a tally; the event count shows the shortfall.
        }
    }
}
