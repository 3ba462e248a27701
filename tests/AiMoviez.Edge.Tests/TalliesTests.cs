using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AiMoviez.Contracts;
using Xunit.Abstractions;

namespace AiMoviez.Edge.Tests;

[Collection(EdgeCollection.Name)]
public sealed class TalliesTests(EdgeStack stack, ITestOutputHelper output)
{
    [Fact]
    public async Task Tallies_list_the_slots_clips_with_zero_until_counted_highest_score_first()
    {
        var season = EdgeStack.NewSeason(20, SlotStatuses.Voting, TimeSpan.FromHours(1), 3, activatedHoursAgo: 30);
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        var zeros = await Eventually.UntilAsync(() => stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies?seasonId={season.Id}"),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the season's tallies");
        var body = await zeros.JsonAsync();
        Assert.True(body.GetProperty("approximate").GetBoolean());
        Assert.Equal(3, body.GetProperty("slotPosition").GetInt32());
        Assert.All(body.GetProperty("clips").EnumerateArray(), c => Assert.Equal(0, c.GetProperty("votes").GetInt64()));

        var asOf = DateTimeOffset.UtcNow;
        await stack.Bus.PublishAsync(Subjects.Tally(season.Id), new SlotTally
        {
            SeasonId = season.Id,
            SlotPosition = 3,
            AsOf = asOf,
            Clips = [new(season.Clips[1].Id, 2, 13, 0), new(season.Clips[2].Id, 4, 4, 0)],
        });
        var counted = await Eventually.UntilAsync(
            async () => await (await stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies?seasonId={season.Id}")).JsonAsync(),
            b => b.GetProperty("clips")[0].GetProperty("weightedScore").GetInt64() == 13, TimeSpan.FromSeconds(10), "the tally");
        Assert.Equal([season.Clips[1].Id, season.Clips[2].Id, season.Clips[0].Id],
            counted.GetProperty("clips").EnumerateArray().Select(c => c.GetProperty("clipId").GetGuid()).ToArray());
        Assert.Equal(asOf.ToUnixTimeMilliseconds(), counted.GetProperty("asOf").GetDateTimeOffset().ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Tally_stream_sends_a_tally_after_a_vote_is_counted_and_a_slot_event_when_the_slot_changes()
    {
        var season = EdgeStack.NewSeason(21, SlotStatuses.Voting, TimeSpan.FromHours(1), 2, activatedHoursAgo: 31);
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        await Eventually.UntilAsync(async () => (await stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies?seasonId={season.Id}")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(10), "the season at the edge");

        using var stream = await stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies/stream?seasonId={season.Id}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var initial = await NextEventAsync(reader, _ => true);
        Assert.Equal("tally", initial.Type);

        var vote = await (await stack.VoteAsync(EdgeStack.NewBrowser(), season.Clips[1].Id)).AssertAcceptedAsync();
        var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(vote.GetProperty("voteId").GetGuid())),
            c => c is not null, TimeSpan.FromSeconds(10), "the VoteCast");
        // Play the aggregator: count it and republish the tally.
        await stack.Bus.PublishAsync(Subjects.Tally(season.Id), new SlotTally
        {
            SeasonId = season.Id,
            SlotPosition = cast!.SlotPosition,
            AsOf = DateTimeOffset.UtcNow,
            Clips = [new(cast.ClipId, 1, cast.Weight, 0)],
        });
        var tally = await NextEventAsync(reader, e => e.Type == "tally" && e.Data.GetProperty("clips")[0].GetProperty("votes").GetInt64() == 1);
        var first = tally.Data.GetProperty("clips")[0];
        Assert.Equal(season.Clips[1].Id, first.GetProperty("clipId").GetGuid());
        Assert.Equal(1, first.GetProperty("votes").GetInt64());

        var winner = season.Clips[1].Id;
        await stack.Core.UpdateAsync(s => s with
        {
            Seasons = [.. s.Seasons.Select(x => x.Id == season.Id
                ? x with { CurrentSlot = x.CurrentSlot! with { Position = 4 }, LastLockedSlot = new() { Position = 3, WinnerClipId = winner } }
                : x)],
        });
        var slot = await NextEventAsync(reader, e => e.Type == "slot");
        Assert.Equal(season.Id, slot.Data.GetProperty("seasonId").GetGuid());
        Assert.Equal(3, slot.Data.GetProperty("closedPosition").GetInt32());
        Assert.Equal(winner, slot.Data.GetProperty("winnerClipId").GetGuid());
        Assert.Equal(4, slot.Data.GetProperty("slotPosition").GetInt32());
        Assert.Equal("active", slot.Data.GetProperty("seasonStatus").GetString());
        Assert.True(slot.Data.TryGetProperty("votingEndsAt", out _));

        // The season's last slot locks: it leaves the active seasons and is announced finished, with no slot open.
        await stack.Core.UpdateAsync(s => s with
        {
            Seasons = [.. s.Seasons.Where(x => x.Id != season.Id)],
            FinishedSeasons = [new FinishedSeasonSnapshot { Id = season.Id, LastLockedSlot = new() { Position = 4, WinnerClipId = season.Clips[0].Id } }],
        });
        var last = await NextEventAsync(reader, e => e.Type == "slot");
        Assert.Equal(4, last.Data.GetProperty("closedPosition").GetInt32());
        Assert.Equal(season.Clips[0].Id, last.Data.GetProperty("winnerClipId").GetGuid());
        Assert.Equal(JsonValueKind.Null, last.Data.GetProperty("slotPosition").ValueKind);
        Assert.Equal("finished", last.Data.GetProperty("seasonStatus").GetString());
        await stack.Core.UpdateAsync(s => s with { FinishedSeasons = [] });
    }

    [Fact]
    public async Task Every_stream_event_has_a_growing_id_and_a_reconnect_with_Last_Event_ID_gets_the_slot_and_counts_at_once()
    {
        var season = EdgeStack.NewSeason(22, SlotStatuses.Voting, TimeSpan.FromHours(1), 2, activatedHoursAgo: 32);
        var winner = season.Clips[0].Id;
        season = season with { LastLockedSlot = new() { Position = 2, WinnerClipId = winner } };
        await stack.Core.UpdateAsync(s => s with { Seasons = [.. s.Seasons, season] });
        await Eventually.UntilAsync(async () => (await stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies?seasonId={season.Id}")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(10), "the season at the edge");

        using var stream = await stack.Direct.GetAsync($"{stack.BaseUrl}/v1/tallies/stream?seasonId={season.Id}", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var first = await NextEventAsync(reader, _ => true);
        Assert.Equal("tally", first.Type);
        await stack.Bus.PublishAsync(Subjects.Tally(season.Id), new SlotTally
        {
            SeasonId = season.Id, SlotPosition = 3, AsOf = DateTimeOffset.UtcNow, Clips = [new(season.Clips[1].Id, 1, 1, 0)],
        });
        var counted = await NextEventAsync(reader, e => e.Type == "tally" && e.Data.GetProperty("clips")[0].GetProperty("votes").GetInt64() == 1);
        Assert.True(long.Parse(counted.Id!, CultureInfo.InvariantCulture) > long.Parse(first.Id!, CultureInfo.InvariantCulture));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{stack.BaseUrl}/v1/tallies/stream?seasonId={season.Id}");
        request.Headers.Add("Last-Event-ID", counted.Id);
        using var again = await stack.Direct.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reconnected = new StreamReader(await again.Content.ReadAsStreamAsync());
        var slot = await NextEventAsync(reconnected, _ => true);
        Assert.Equal("slot", slot.Type);
        Assert.NotNull(slot.Id);
        Assert.Equal(2, slot.Data.GetProperty("closedPosition").GetInt32());
        Assert.Equal(winner, slot.Data.GetProperty("winnerClipId").GetGuid());
        Assert.Equal(3, slot.Data.GetProperty("slotPosition").GetInt32());
        var tally = await NextEventAsync(reconnected, _ => true);
        Assert.Equal("tally", tally.Type);
        Assert.Equal(1, tally.Data.GetProperty("clips")[0].GetProperty("votes").GetInt64());
    }

    [Fact]
    public async Task Tally_stream_sends_a_keep_alive_comment_every_configured_interval()
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>(stack.EdgeEnvironment) { ["ASPNETCORE_URLS"] = url, ["Edge__SseHeartbeat"] = "00:00:00.200" };
        await using var edge = new ServiceProcess("edge-heartbeat", RepoPaths.ServiceProgram("edge", "AiMoviez.Edge"), url, stack.Dir.Path, environment);
        await edge.StartAsync();
        await edge.WaitReadyAsync(TimeSpan.FromSeconds(30));

        using var stream = await stack.Direct.GetAsync($"{url}/v1/tallies/stream?seasonId={stack.Season.Id}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal("tally", (await NextEventAsync(reader, _ => true)).Type);

        // The default 15 s could not send three within the timeout; 200 ms does.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var keepAlives = 0;
        while (keepAlives < 3 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == ": keep-alive")
            {
                keepAlives++;
                Assert.Equal("", await reader.ReadLineAsync(timeout.Token));
            }
        }

        Assert.Equal(3, keepAlives);
    }

    [Fact]
    public async Task Idle_tally_subscribers_cost_little_memory()
    {
        const int subscribers = 2000;
        var pid = stack.Edge.Pid!.Value;
        var seasonId = stack.Season.Id;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { Timeout = Timeout.InfiniteTimeSpan };
        await OpenAsync(http, seasonId, 50);
        var before = Rss(pid);

        var watch = Stopwatch.StartNew();
        var streams = await OpenAsync(http, seasonId, subscribers);
        var after = Rss(pid);
        var perSubscriber = (after - before) / subscribers;
        output.WriteLine($"{subscribers} idle SSE subscribers opened in {watch.ElapsedMilliseconds} ms: edge RSS {before / 1024} KiB -> {after / 1024} KiB, {perSubscriber} bytes per subscriber");
        Assert.InRange(perSubscriber, 0, 64 * 1024);
        foreach (var response in streams)
        {
            response.Dispose();
        }
    }

    private async Task<List<HttpResponseMessage>> OpenAsync(HttpClient http, Guid seasonId, int count)
    {
        var opened = new List<HttpResponseMessage>(count);
        for (var batch = 0; batch < count; batch += 100)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, Math.Min(100, count - batch)).Select(_ =>
                http.GetAsync($"{stack.BaseUrl}/v1/tallies/stream?seasonId={seasonId}", HttpCompletionOption.ResponseHeadersRead)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            opened.AddRange(responses);
        }

        return opened;
    }

    private static long Rss(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    /// <summary>The next event the test is waiting for; earlier ones (e.g. a repeat of the current counts) are skipped.</summary>
    private static async Task<StreamEvent> NextEventAsync(StreamReader reader, Func<StreamEvent, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? id = null;
        string? type = null;
        string? data = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id:", StringComparison.Ordinal))
            {
                id = line["id:".Length..].Trim();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                type = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data = line["data:".Length..].Trim();
            }
            else if (line.Length == 0 && data is not null)
            {
                var received = new StreamEvent(id, type ?? "message", JsonDocument.Parse(data).RootElement);
                if (wanted(received))
                {
                    return received;
                }

                (id, type, data) = (null, null, null);
            }
        }

        throw new EndOfStreamException("The event stream ended.");
    }
}

public sealed record StreamEvent(string? Id, string Type, JsonElement Data);
