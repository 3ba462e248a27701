using System.Collections.Concurrent;
using System.Net;

namespace AiMoviez.EndToEnd.Tests;

/// <summary>
/// What each (voter, clip) got. A 202 must be counted exactly once. A request that died with its edge, or a 503 after
/// NATS stored the vote but before its ack arrived, may or may not be counted: the bounds allow both, never more.
/// </summary>
internal sealed class VoteOutcomes
{
    private readonly ConcurrentDictionary<(int Voter, Guid Clip), bool> _accepted = new();
    private readonly ConcurrentDictionary<(int Voter, Guid Clip), bool> _unknown = new();

    public ConcurrentBag<HttpStatusCode> Statuses { get; } = [];

    public int AcceptedPairs => _accepted.Count;

    public void Record(int voter, Guid clip, HttpStatusCode status)
    {
        Statuses.Add(status);
        if (status == HttpStatusCode.Accepted)
        {
            _accepted[(voter, clip)] = true;
        }
        else if (status == HttpStatusCode.ServiceUnavailable)
        {
            _unknown[(voter, clip)] = true;
        }
    }

    public async Task<HttpStatusCode?> SendAsync(SystemUnderTest system, string edgeUrl, int voter, Guid clip, CancellationToken ct)
    {
        try
        {
            using var response = await system.Http.SendAsync(SystemUnderTest.Vote(edgeUrl, clip, voter), ct);
            Record(voter, clip, response.StatusCode);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            _unknown[(voter, clip)] = true;
            return null;
        }
    }

    /// <summary>Waits until the edge's tallies hold every accepted pair once, and nothing beyond the uncertain ones.</summary>
    public async Task WaitForTalliesAsync(SystemUnderTest system, string edgeUrl, Guid seasonId)
    {
        var least = _accepted.Keys.GroupBy(p => p.Clip).ToDictionary(g => g.Key, g => (long)g.Count());
        var most = _accepted.Keys.Concat(_unknown.Keys).Distinct().GroupBy(p => p.Clip).ToDictionary(g => g.Key, g => (long)g.Count());
        await Eventually.UntilAsync(() => system.TalliesAsync(edgeUrl, seasonId),
            t => least.Keys.All(t.ContainsKey)
                 && t.All(c => c.Value >= least.GetValueOrDefault(c.Key) && c.Value <= most.GetValueOrDefault(c.Key)),
            TimeSpan.FromSeconds(45),
            $"tallies at {edgeUrl} between the {_accepted.Count} accepted and {_accepted.Count + _unknown.Count} possible votes");
    }
}
