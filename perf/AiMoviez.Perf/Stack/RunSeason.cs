using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// The season a run votes in. By default the run's own: created through the admin API as a draft with one long slot,
/// stocked with its own approved clips, then activated, so slot 1 opens for voting at once and nobody's short test
/// slots get in the way; every other season is left alone, and the run's own is deleted when the run ends. With
/// <c>--season-id</c>, that season as it is, created by someone else and never changed.
/// </summary>
public sealed class RunSeason(HttpClient http, StackAddresses stack, PerfOptions options, string runTag, string? adminToken, string? creatorToken)
{
    public const int DefaultClips = 12;
    public const string Genre = "Sci-Fi";
    private const int MaxBulk = 100;

    /// <summary>One slot, longer than the tool's own 2-hour limit: no run sees it close, and a kept season finishes on its own.</summary>
    public static readonly TimeSpan SlotDuration = TimeSpan.FromDays(1);

    private static readonly TimeSpan EdgeWait = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Guid? _seasonId;

    /// <summary>The season this run made, if it made one.</summary>
    public Guid? CreatedSeasonId { get; private set; }

    public string Label => "Bench " + runTag;

    /// <summary>The season to vote in: the given one, or the run's own, made at the first call and shared by every scenario of the run.</summary>
    public async Task<Guid> IdAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _seasonId ??= options.SeasonId ?? await CreateAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Deletes the run's own season (never a given one). Its votes stay in the shard, under its id, for anyone inspecting a run.</summary>
    public async Task<string?> DeleteCreatedAsync(CancellationToken cancellationToken)
    {
        if (CreatedSeasonId is not { } id)
        {
            return null;
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Delete, $"/v1/admin/seasons/{id}?confirm=true", adminToken!, null, cancellationToken);
            return response.StatusCode == HttpStatusCode.NoContent
                ? $"deleted the run's season {Label} ({id}); its votes stay in the shard"
                : $"could not delete the run's season {Label} ({id}): {await DescribeAsync(response, cancellationToken)}";
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return $"could not delete the run's season {Label} ({id}): {exception.Message}";
        }
    }

    /// <summary>
    /// Sets the flag require_captcha_voting, and waits the 5 s within which the contract has edges follow a flag change
    /// (CONTRACT.md section 5), plus one.
    /// </summary>
    public async Task SetCaptchaRequiredAsync(bool required, CancellationToken cancellationToken)
    {
        using (var response = await SendAsync(HttpMethod.Put, "/v1/admin/feature-flags/require_captcha_voting", adminToken!,
            JsonContent.Create(new FlagChange(required), ApiJson.Default.FlagChange), cancellationToken))
        {
            await EnsureAsync(response, HttpStatusCode.OK, "set require_captcha_voting", cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(6), cancellationToken);
    }

    private async Task<Guid> CreateAsync(CancellationToken cancellationToken)
    {
        if (adminToken is null || creatorToken is null)
        {
            throw new InvalidOperationException(
                "The run creates its own season, which needs an admin token and a user (creator) token: run it through "
                + "`./aimoviez bench`, pass --admin-token and --creator-token (`./aimoviez token --admin`, `--user ID`), "
                + "or pass --season-id of an active season to vote in that one.");
        }

        var clipCount = options.Clips ?? DefaultClips;
        var season = await CreateDraftAsync(cancellationToken);
        CreatedSeasonId = season.Id;

        var clips = new List<Guid>(clipCount);
        for (var i = 1; i <= clipCount; i++)
        {
            var clip = await PostAsync("/v1/clips", creatorToken,
                new CreateClipRequestBody(season.Id, $"Bench clip {i}", Genre, $"/media/bench-{i}.mp4", $"/media/bench-{i}.jpg", 8),
                ApiJson.Default.CreateClipRequestBody, ApiJson.Default.ClipBody, HttpStatusCode.Created, cancellationToken);
            clips.Add(clip.Id);
        }

        // Approved while a draft, the clips wait in slot 1, which opens for voting with them on activation.
        foreach (var chunk in clips.Chunk(MaxBulk))
        {
            using var approved = await SendAsync(HttpMethod.Post, "/v1/admin/clips/bulk", adminToken,
                JsonContent.Create(new BulkModerationRequestBody("approve", chunk), ApiJson.Default.BulkModerationRequestBody), cancellationToken);
            await EnsureAsync(approved, HttpStatusCode.OK, "approve the season's clips", cancellationToken);
        }

        using (var activated = await SendAsync(HttpMethod.Post, $"/v1/admin/seasons/{season.Id}/activate", adminToken, null, cancellationToken))
        {
            await EnsureAsync(activated, HttpStatusCode.OK, "activate the season", cancellationToken);
        }

        await WaitUntilEdgesServeAsync(season.Id, clipCount, cancellationToken);
        var covered = LastMappedSeasonNumber();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[season] created {Label} (#{season.Number}, {season.Id}): {clipCount} clips voting in its one slot of {SlotDuration.TotalHours:0} h; "
            + $"the shard map has season numbers up to {covered}, {covered - season.Number} left for new seasons"));
        return season.Id;
    }

    private async Task<SeasonBody> CreateDraftAsync(CancellationToken cancellationToken)
    {
        var request = new CreateSeasonRequestBody(Label, Genre, TotalSlots: 1, (int)SlotDuration.TotalSeconds);
        using var response = await SendAsync(HttpMethod.Post, "/v1/admin/seasons", adminToken!,
            JsonContent.Create(request, ApiJson.Default.CreateSeasonRequestBody), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            // Every run takes the next season number and numbers are never reused, so a finite map runs out.
            throw new InvalidOperationException(
                $"Core refused to create the run's season ({await DescribeAsync(response, cancellationToken)}). The shard map in "
                + $"{options.TopologyPath} covers season numbers up to {LastMappedSeasonNumber()} and every bench run takes one: append a "
                + "range to its seasonShards (regions/README.md), or pass --season-id of an active season to vote in that one.");
        }

        await EnsureAsync(response, HttpStatusCode.Created, "create the run's season", cancellationToken);
        return await response.Content.ReadFromJsonAsync(ApiJson.Default.SeasonBody, cancellationToken)
            ?? throw new InvalidOperationException("POST /v1/admin/seasons answered an empty body.");
    }

    private int LastMappedSeasonNumber() => stack.Topology.SeasonShards.Select(r => r.ToSeason).DefaultIfEmpty(0).Max();

    /// <summary>Edges learn of the season from core's catalog notices: wait until each one's ballot offers every clip.</summary>
    private async Task WaitUntilEdgesServeAsync(Guid seasonId, int clipCount, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + EdgeWait;
        foreach (var edge in stack.Edges)
        {
            var last = "no answer";
            while (true)
            {
                using (var response = await http.GetAsync(new Uri(edge.BaseUri, $"/v1/ballot?seasonId={seasonId}&limit=1"), cancellationToken))
                {
                    if (response.IsSuccessStatusCode)
                    {
                        var ballot = await response.Content.ReadFromJsonAsync(ApiJson.Default.BallotBody, cancellationToken);
                        if (ballot?.TotalClipsInSlot == clipCount)
                        {
                            break;
                        }

                        last = $"{ballot?.TotalClipsInSlot} of {clipCount} clips in the ballot";
                    }
                    else
                    {
                        last = await DescribeAsync(response, cancellationToken);
                    }
                }

                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"Edge {edge.Region} did not offer the run's season {seasonId} within {EdgeWait.TotalSeconds:0} s ({last}).");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    private async Task<TResponse> PostAsync<TRequest, TResponse>(string path, string token, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, path, token, JsonContent.Create(body, requestType), cancellationToken);
        await EnsureAsync(response, expected, $"POST {path}", cancellationToken);
        return await response.Content.ReadFromJsonAsync(responseType, cancellationToken)
            ?? throw new InvalidOperationException($"POST {path} answered an empty body.");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(stack.CoreUri, path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, cancellationToken);
    }

    private async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string what, CancellationToken cancellationToken)
    {
        if (response.StatusCode == expected)
        {
            return;
        }

        throw new InvalidOperationException($"Could not {what}: {await DescribeAsync(response, cancellationToken)}.");
    }

    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var problem = JsonSerializer.Deserialize(text, ApiJson.Default.ProblemBody);
            return $"{(int)response.StatusCode} {problem?.Code}: {problem?.Detail ?? problem?.Title}";
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode}";
        }
    }
}
