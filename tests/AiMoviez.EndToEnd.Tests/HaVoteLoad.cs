using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// A bounded, paced vote load through the edges' HTTP API, run in the background: voter i, a signed-in user (a dev
/// token) behind a client IP of its own, votes once on clip i mod n at edge i mod m; <c>count</c> votes at
/// <c>perSecond</c>, at most <see cref="MaxInFlight"/> at once, every answer recorded with when its request started.
/// </summary>
internal sealed class HaVoteLoad
{
    private const int MaxInFlight = 64;
    private readonly ConcurrentBag<Attempt> _attempts = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HaSystemUnderTest _system;

    private HaVoteLoad(HaSystemUnderTest system)
    {
        _system = system;
    }

    /// <summary>One request: <see cref="Status"/> null when it got no answer (its edge died or did not answer in time).</summary>
    public sealed record Attempt(string VoterKey, Guid Clip, string Edge, TimeSpan Started, HttpStatusCode? Status, string? Code, Guid? VoteId);

    /// <summary>Time since the load started, on the clock of <see cref="Attempt.Started"/>.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyCollection<Attempt> Attempts => _attempts;

    /// <summary>Ends when every request was answered or failed.</summary>
    public Task Running { get; private set; } = Task.CompletedTask;

    public static HaVoteLoad Start(HaSystemUnderTest system, IReadOnlyList<Guid> clips, int firstVoter, int count, int perSecond)
    {
        var load = new HaVoteLoad(system);
        load.Running = Task.Run(() => load.RunAsync(clips, firstVoter, count, perSecond));
        return load;
    }

    /// <summary>How many requests to <paramref name="edges"/> that started at or after <paramref name="since"/> were answered 202.</summary>
    public int AcceptedSince(TimeSpan since, IEnumerable<string> edges)
    {
        var urls = edges.ToHashSet();
        return _attempts.Count(a => a.Status == HttpStatusCode.Accepted && a.Started >= since && urls.Contains(a.Edge));
    }

    private async Task RunAsync(IReadOnlyList<Guid> clips, int firstVoter, int count, int perSecond)
    {
        using var gate = new SemaphoreSlim(MaxInFlight);
        var requests = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            // The clock read once: read again, it may have passed the due time and made the wait negative.
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            await gate.WaitAsync();
            var edge = _system.Edges[i % _system.Edges.Count].BaseUrl;
            requests.Add(VoteAsync(gate, edge, firstVoter + i, clips[i % clips.Count]));
        }

        await Task.WhenAll(requests);
    }

    private async Task VoteAsync(SemaphoreSlim gate, string edge, int voter, Guid clip)
    {
        var subject = "ha-voter-" + voter;
        var started = _clock.Elapsed;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, edge + "/v1/votes")
            {
                Content = JsonContent.Create(new { clipId = clip, voteType = "standard" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _system.Stack.UserToken(subject));
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"10.{(voter >> 16) & 255}.{(voter >> 8) & 255}.{voter & 255}");
            request.Headers.TryAddWithoutValidation("User-Agent", $"Mozilla/5.0 (HA voter {voter})");
            using var response = await _system.Http.SendAsync(request);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var voteId = response.StatusCode == HttpStatusCode.Accepted ? body.RootElement.GetProperty("voteId").GetGuid() : (Guid?)null;
            var code = body.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
            _attempts.Add(new Attempt("user_" + subject, clip, edge, started, response.StatusCode, code, voteId));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            _attempts.Add(new Attempt("user_" + subject, clip, edge, started, null, e.GetType().Name, null));
        }
        finally
        {
            gate.Release();
        }
    }
}
