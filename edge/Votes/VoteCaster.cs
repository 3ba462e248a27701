using System.Diagnostics;
using AiMoviez.Contracts;
using AiMoviez.Edge.Catalog;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Edge.Votes;

/// <summary>The outcome of a vote request: the 202 body or an error code, plus the rate-limit headers to send.</summary>
internal sealed record CastOutcome(VoteAccepted? Accepted, string? Code, string Detail, RateLimitHeaders RateLimit);

/// <summary>
/// Casts and revokes votes: catalog rules in memory, every Redis rule in one script call, then the JetStream publish;
/// a vote answered 503 (publish failed, or Redis did not answer in time) is undone so nothing is half done. Every vote
/// request that gets this far counts in the rate windows, whatever its answer, in that same script call.
/// </summary>
internal sealed partial class VoteCaster(
    CatalogStore catalog,
    ClipDirectory clips,
    VoteLedger ledger,
    CaptchaVerifier captcha,
    IOptions<CaptchaOptions> captchaOptions,
    VotePublisher publisher,
    LedgerRepairs repairs,
    RegionTopology region,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    EdgeTelemetry telemetry,
    ILogger<VoteCaster> logger)
{
    private readonly EdgeOptions _options = options.Value;

    /// <param name="invalid">Why the request was refused before it was read (a bad or oversized body), or null.</param>
    /// <param name="captchaToken">The X-Captcha-Token header, or null; looked at only while captcha is required.</param>
    public async Task<CastOutcome> CastAsync(
        Voter voter, VoteRequest? request, (string Code, string Detail)? invalid, string? idempotencyKey, string? captchaToken)
    {
        var now = time.GetUtcNow();
        var view = catalog.Current;
        var voteType = request?.VoteType ?? VoteTypes.Standard;
        var (verdict, detail, season, clip) = Judge(voter, request, invalid, view, now);
        string? captchaKey = null;
        if (verdict is null && view!.Flags.RequireCaptchaVoting)
        {
            (verdict, detail, captchaKey) = await CheckCaptchaAsync(captchaToken, voter.ClientIp);
            // The check took time: the vote is judged again, and stamped, as of its end (the script's deadline, and
            // votingEndsAt, are measured from that).
            now = time.GetUtcNow();
            if (verdict is null)
            {
                (verdict, detail, season, clip) = Judge(voter, request, invalid, view, now);
            }
        }

        // Time-ordered ids (UUIDv7) land at the right edge of the shard's primary-key index instead of at random pages;
        // each carries the voter's bucket, which finds its receipt in a Redis Cluster.
        var attempt = new VoteAttempt(voter.Key, voter.ClientIp, VoteIds.New(now, VoterBuckets.Of(voter.Key)), VoteTypes.IsKnown(voteType) ? voteType : VoteTypes.Standard,
            season, season?.CurrentSlot?.Position ?? 0, clip?.Id, idempotencyKey, view?.Flags.MultiVoteEnabled == true,
            voter.LooksHeadless ? VoteFlags.HeadlessClient : VoteFlags.None, now, season?.CurrentSlot?.VotingEndsAt, verdict, captchaKey);

        CastDecision decision;
        var redisStarted = Stopwatch.GetTimestamp();
        var redisSpan = EdgeTelemetry.StartRedisScript("cast");
        try
        {
            decision = await ledger.CastAsync(attempt);
            Spans.End(redisSpan);
            telemetry.RedisCalled(redisStarted);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Spans.End(redisSpan, e);
            LogRedisFailed(logger, e.Message);
            // The script may still run, late (a hung Redis resumes with it in its socket buffer). Past its deadline it
            // does nothing; before that, the undo sent now, behind it on the same connection, takes back what it did.
            // If the connection is given up in between, the undo is retried until Redis takes it. So the voter is not
            // told ALREADY_VOTED for a vote that was never published. Not awaited: the answer does not depend on it.
            _ = UndoAsync(attempt);
            return Unavailable("The vote store is not answering; no vote was recorded.");
        }

        var headers = Headers(decision.Code, decision.VoterCount, decision.ResetMs, decision.RetryMs);
        switch (decision.Code)
        {
            case "REPLAY":
                return await ReplayAsync(voter, decision.Replay!, headers, view, now);
            case "OK":
                break;
            case ErrorCodes.ClipNotFound when verdict == ErrorCodes.ClipNotFound:
                return await UnlistedClipAsync(Guid.Parse(request!.ClipId!), detail, headers);
            case var code when code == verdict:
                return new CastOutcome(null, code, detail, headers);
            case ErrorCodes.AlreadyVoted when decision.Held is { } held:
                await RepublishUndecidedAsync(held, season!, clip!.Id, voter.Key, view!, now);
                return new CastOutcome(null, decision.Code, DetailFor(decision.Code), headers);
            case ErrorCodes.DependencyUnavailable:
                // The script found itself past its deadline although it answered in time: Redis's clock is ahead.
                LogLateInTime(logger);
                return Unavailable("The vote store refused the vote as late; no vote was recorded.");
            default:
                return new CastOutcome(null, decision.Code, DetailFor(decision.Code), headers);
        }

        var weight = VoteTypes.Weight(attempt.VoteType);
        try
        {
            await publisher.PublishAsync(CastOf(attempt.VoteId, season!.Id, season.Number, attempt.SlotPosition, clip!.CreatorId, clip.Id, voter.Key,
                attempt.VoteType, now, attempt.VotingEndsAt!.Value, attempt.MultiVote, decision.Flags));
        }
        catch (PublishFailedException e)
        {
            LogPublishFailed(logger, e.InnerException?.Message ?? e.Message);
            await UndoAsync(attempt);
            return Unavailable("The vote stream did not acknowledge the vote; no vote was recorded.");
        }

        var accepted = new VoteAccepted(attempt.VoteId, clip!.Id, season!.Id, attempt.SlotPosition, attempt.VoteType, weight,
            region.Name, VoteStatuses.Accepted, decision.DayTotal,
            new RemainingVotes(_options.DailyWeightLimit - decision.DayTotal, decision.SuperUsed ? 0 : 1, decision.MegaUsed ? 0 : 1));
        return new CastOutcome(accepted, null, "", headers);
    }

    /// <summary>
    /// A clip no active season lists may still be a clip of a draft, finished or archived season, which core knows: that
    /// is CLIP_NOT_VOTABLE, not CLIP_NOT_FOUND. Asked only after the script counted the request and the windows let it
    /// through, so a voter or an IP can make the edge ask core at most its window's limit.
    /// </summary>
    private async Task<CastOutcome> UnlistedClipAsync(Guid clipId, string notFoundDetail, RateLimitHeaders headers) =>
        (await clips.FindAsync(clipId)).Placement is { } placement
            ? new CastOutcome(null, ErrorCodes.ClipNotVotable, $"The clip's season is {placement.SeasonStatus}, not open for voting here.", headers)
            : new CastOutcome(null, ErrorCodes.ClipNotFound, notFoundDetail, headers);

    /// <summary>
    /// A retry with an earlier vote's Idempotency-Key gets the first answer again, once the vote is surely on the
    /// stream. A receipt that a decision, a revoke or a reset rewrote proves the vote was published. One still accepted
    /// may be a vote whose edge died between the script and the PubAck, or whose publish is still in flight, so a copy
    /// is published first (<see cref="CopyOf"/>; a copy of a stored vote is dropped or gets its decision again). The
    /// script marked the receipt, so an undo of the first attempt, whose publish may yet fail, leaves the vote alone. A
    /// vote whose season the catalog no longer lists (it finished meanwhile) goes out as a late copy, placed by core
    /// (<see cref="ClipDirectory"/>); while core cannot be asked, the replay is 503, to retry with the same key. A receipt
    /// from before receipts held the vote's flags, or a vote whose clip core no longer has, is answered as it is.
    /// </summary>
    private async Task<CastOutcome> ReplayAsync(Voter voter, ReplayedVote replay, RateLimitHeaders headers, CatalogView? view, DateTimeOffset now)
    {
        var answer = replay.Answer;
        if (replay.Status != VoteStatuses.Accepted || replay.MultiVote is not { } multiVote)
        {
            return new CastOutcome(answer, null, "", headers);
        }

        VoteCast copy;
        if (view?.Season(answer.SeasonId) is { } season)
        {
            copy = CopyOf(answer.VoteId, season, answer.SlotPosition, answer.ClipId, voter.Key, answer.VoteType, multiVote, replay.Flags, view, now);
        }
        else if (await clips.FindAsync(answer.ClipId) is not { Answered: true } lookup)
        {
            return Unavailable("Core did not say where the vote's clip belongs; retry with the same Idempotency-Key.");
        }
        else if (lookup.Placement is { } placement && placement.SeasonId == answer.SeasonId)
        {
            var acceptedAt = VoteIds.TimeOf(answer.VoteId);
            copy = CastOf(answer.VoteId, placement.SeasonId, placement.SeasonNumber, answer.SlotPosition, Guid.Empty, answer.ClipId, voter.Key,
                answer.VoteType, acceptedAt, acceptedAt, multiVote, replay.Flags) with { LateCopy = true };
        }
        else
        {
            return new CastOutcome(answer, null, "", headers);
        }

        try
        {
            await publisher.PublishCopyAsync(copy);
            return new CastOutcome(answer, null, "", headers);
        }
        catch (PublishFailedException e)
        {
            LogRepublishFailed(logger, answer.VoteId, e.InnerException?.Message ?? e.Message);
            return Unavailable("The vote stream did not acknowledge the vote; retry with the same Idempotency-Key.");
        }
    }

    /// <summary>
    /// Publishes again the vote an ALREADY_VOTED found on its clip if it stayed undecided well past its publish timeout
    /// (its edge may have died between the vote script and the publish), at most once per
    /// <see cref="EdgeOptions.RepublishUndecidedAfter"/>. The request is answered 409 whatever happens here.
    /// </summary>
    private async Task RepublishUndecidedAsync(UndecidedVote held, SeasonSnapshot season, Guid clipId, string voterKey, CatalogView view, DateTimeOffset now)
    {
        var wait = _options.PublishTimeout + _options.RepublishUndecidedAfter;
        if (now - VoteIds.TimeOf(held.VoteId) < wait || (held.RepublishedAt is { } last && now - last < wait))
        {
            return;
        }

        try
        {
            await publisher.PublishCopyAsync(CopyOf(held.VoteId, season, season.CurrentSlot!.Position, clipId, voterKey, held.VoteType,
                held.MultiVote, held.Flags, view, now));
            LogRepublished(logger, held.VoteId);
            await ledger.MarkRepublishedAsync(voterKey, held.VoteId, now);
        }
        catch (Exception e) when (e is PublishFailedException || IsRedisFailure(e))
        {
            LogRepublishFailed(logger, held.VoteId, e.InnerException?.Message ?? e.Message);
        }
    }

    /// <summary>
    /// A copy of a vote to publish again, accepted when its id says. Once its slot or its clip no longer takes votes it
    /// is a late copy, which stands only if the vote was stored already (<see cref="VoteCast.LateCopy"/>): core may have
    /// closed the slot on its tallies. A late copy's creator and votingEndsAt, unknown here, matter to no one: the
    /// aggregator gives it the stored vote's decision or rejects it.
    /// </summary>
    private VoteCast CopyOf(Guid voteId, SeasonSnapshot season, int slot, Guid clipId, string voterKey, string voteType, bool multiVote,
        VoteFlags flags, CatalogView view, DateTimeOffset now)
    {
        var acceptedAt = VoteIds.TimeOf(voteId);
        var votable = view.TryGetClip(clipId, out var clipSeason, out var clip) && clipSeason.Id == season.Id;
        var endsAt = season.CurrentSlot is { Status: SlotStatuses.Voting, VotingEndsAt: { } end } current && current.Position == slot ? end : (DateTimeOffset?)null;
        var late = !votable || endsAt is null || now >= endsAt;
        return CastOf(voteId, season.Id, season.Number, slot, clip?.CreatorId ?? Guid.Empty, clipId, voterKey, voteType, acceptedAt,
            endsAt ?? acceptedAt, multiVote, flags) with
        {
            LateCopy = late,
        };
    }

    private VoteCast CastOf(Guid voteId, Guid seasonId, int seasonNumber, int slot, Guid creatorId, Guid clipId, string voterKey, string voteType,
        DateTimeOffset acceptedAt, DateTimeOffset votingEndsAt, bool multiVote, VoteFlags flags) => new()
    {
        VoteId = voteId,
        SeasonId = seasonId,
        SeasonNumber = seasonNumber,
        SlotPosition = slot,
        ClipId = clipId,
        CreatorId = creatorId,
        VoterKey = voterKey,
        VoteType = voteType,
        Weight = VoteTypes.Weight(voteType),
        Region = region.Name,
        AcceptedAt = acceptedAt,
        VotingEndsAt = votingEndsAt,
        MultiVote = multiVote,
        Flags = flags,
    };

    /// <param name="clipId">The clip, or null when the path's id is not a UUID (400, counted all the same).</param>
    /// <param name="refused">Why the request was refused before it was looked at (a bad token), or null.</param>
    public async Task<CastOutcome> RevokeAsync(Voter voter, Guid? clipId, (string Code, string Detail)? refused)
    {
        var now = time.GetUtcNow();
        var view = catalog.Current;
        SeasonSnapshot? season = null;
        var (code, detail) = refused is { } early ? (early.Code, early.Detail)
            : clipId is null
            ? (ErrorCodes.InvalidRequest, "clipId must be a UUID.")
            : view is null || !view.TryGetClip(clipId.Value, out season, out _) || season.CurrentSlot is null
                ? (ErrorCodes.NotFound, "You have no vote on this clip.")
                : season.CurrentSlot.VotingEndsAt is { } endsAt && now >= endsAt
                    ? (ErrorCodes.VotingClosed, "Voting for this slot has closed; its votes are final.")
                    : ((string?)null, "");
        var slot = code is null ? season!.CurrentSlot!.Position : 0;

        try
        {
            // Counts the request in the windows even when it is refused already, like a vote.
            var found = await ledger.FindAsync(voter.Key, voter.ClientIp, code is null ? season!.Id : Guid.Empty, slot,
                clipId ?? Guid.Empty, now);
            var headers = Headers(found.Code, found.VoterCount, found.ResetMs, found.RetryMs);
            if (found.Code == ErrorCodes.RateLimited)
            {
                return new CastOutcome(null, found.Code, DetailFor(found.Code), headers);
            }

            if (code is not null)
            {
                return new CastOutcome(null, code, detail, headers);
            }

            if (found.VoteId is not { } voteId)
            {
                return new CastOutcome(null, ErrorCodes.NotFound, "You have no vote on this clip.", headers);
            }

            // Not cancelled with the request: a revoke the stream stored must reach this region's Redis too, else the
            // edge would hold on to a vote the tallies no longer count (the clip, the day's weight).
            await publisher.PublishAsync(new VoteRevoked
            {
                VoteId = voteId,
                SeasonId = season!.Id,
                SeasonNumber = season.Number,
                SlotPosition = slot,
                ClipId = clipId!.Value,
                VoterKey = voter.Key,
                Region = region.Name,
                RevokedAt = now,
            }, CancellationToken.None);
            await RecordRevokeAsync(voter.Key, season.Id, slot, clipId.Value, found);
            return new CastOutcome(null, null, "", headers);
        }
        catch (Exception e) when (IsRedisFailure(e) || e is PublishFailedException)
        {
            LogRevokeFailed(logger, e.Message);
            return Unavailable("The revoke could not be recorded; try again.");
        }
    }

    /// <summary>The first rule the request breaks that needs no Redis, or null when only Redis can tell.</summary>
    private static (string? Code, string Detail, SeasonSnapshot? Season, ClipSnapshot? Clip) Judge(
        Voter voter, VoteRequest? request, (string Code, string Detail)? invalid, CatalogView? view, DateTimeOffset now)
    {
        if (invalid is { } refused)
        {
            return (refused.Code, refused.Detail, null, null);
        }

        if (request is null)
        {
            return (ErrorCodes.InvalidRequest, "A JSON body is required.", null, null);
        }

        if (view is null)
        {
            return (ErrorCodes.DependencyUnavailable, "The catalog has not been loaded yet.", null, null);
        }

        if (!view.Flags.VotingEnabled)
        {
            return (ErrorCodes.VotingDisabled, "Voting is switched off for now.", null, null);
        }

        if (view.Flags.RequireAuthVoting && voter.UserId is null)
        {
            return (ErrorCodes.AuthRequired, "Sign in to vote.", null, null);
        }

        if (view.IsBanned(voter.Key, voter.UserId))
        {
            return (ErrorCodes.VoterBanned, "This voter may not vote.", null, null);
        }

        var clipId = Guid.Parse(request.ClipId!);
        if (!view.TryGetClip(clipId, out var season, out var clip))
        {
            return view.IsNotVotable(clipId)
                ? (ErrorCodes.ClipNotVotable, "The clip is not active in its season's voting slot.", null, null)
                : (ErrorCodes.ClipNotFound, "No clip of an active season has this id.", null, null);
        }

        if (season.CurrentSlot is not { Status: SlotStatuses.Voting, VotingEndsAt: { } endsAt })
        {
            return (ErrorCodes.ClipNotVotable, "The clip's slot is not open for voting.", season, clip);
        }

        return now >= endsAt
            ? (ErrorCodes.VotingClosed, "Voting for this slot has closed.", season, clip)
            : (null, "", season, clip);
    }

    /// <summary>
    /// The verdict on the request's captcha token, or the key that spends it (in the cast script, so a replayed token
    /// is refused). A refusal goes to the script as a verdict like any other: it counts in the rate windows.
    /// </summary>
    private async Task<(string? Verdict, string Detail, string? UsedKey)> CheckCaptchaAsync(string? token, string clientIp)
    {
        if (string.IsNullOrEmpty(token) || token.Length > captchaOptions.Value.MaxTokenLength)
        {
            return (ErrorCodes.CaptchaRequired, "A vote needs a valid X-Captcha-Token.", null);
        }

        return await captcha.CheckAsync(token, clientIp) switch
        {
            CaptchaCheck.Passed => (null, "", CaptchaVerifier.UsedKey(token)),
            CaptchaCheck.Refused => (ErrorCodes.CaptchaRequired, "The captcha token was refused.", null),
            _ => (ErrorCodes.DependencyUnavailable, "The captcha verifier is not answering; no vote was recorded.", null),
        };
    }

    private async Task UndoAsync(VoteAttempt attempt)
    {
        try
        {
            await ledger.UndoAsync(attempt);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            LogUndoFailed(logger, attempt.VoteId, e.Message);
            repairs.Enqueue("the undo of vote " + attempt.VoteId, () => ledger.UndoAsync(attempt));
        }
    }

    /// <summary>
    /// The revoke is published, so it stands: if Redis does not take the vote state now, it is retried rather than
    /// the revoke answered 503 (which would invite a second, needless revoke).
    /// </summary>
    private async Task RecordRevokeAsync(string voterKey, Guid seasonId, int slot, Guid clipId, FoundVote found)
    {
        try
        {
            await ledger.RevokeAsync(voterKey, seasonId, slot, clipId, found);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            LogRevokeStateFailed(logger, found.VoteId!.Value, e.Message);
            repairs.Enqueue("the revoke of vote " + found.VoteId, () => ledger.RevokeAsync(voterKey, seasonId, slot, clipId, found));
        }
    }

    private RateLimitHeaders Headers(string code, int voterCount, long resetMs, long retryMs) =>
        RateLimitHeaders.ForVoter(_options.VotesPerVoterPerWindow, code, voterCount, resetMs, retryMs);

    private CastOutcome Unavailable(string detail) =>
        new(null, ErrorCodes.DependencyUnavailable, detail, RateLimitHeaders.Unknown(_options.VotesPerVoterPerWindow, _options.RateWindow));

    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException;

    private static string DetailFor(string code) => code switch
    {
        ErrorCodes.RateLimited => "Too many votes in a short time; slow down.",
        ErrorCodes.AlreadyVoted => "You already voted for this clip.",
        ErrorCodes.SlotLimit => "You already used this vote type in this slot.",
        ErrorCodes.DailyLimit => "You reached today's vote limit.",
        ErrorCodes.CaptchaRequired => "This captcha token was already used; each vote needs a new one.",
        _ => code,
    };

    [LoggerMessage(LogLevel.Warning, "Vote refused, Redis failed: {Reason}")]
    private static partial void LogRedisFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Error, "Redis refused a vote as past its deadline though it answered in time: are the edge's and Redis's clocks more than a second apart?")]
    private static partial void LogLateInTime(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Vote refused, publish failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Vote {VoteId}, undecided past its publish timeout, published again")]
    private static partial void LogRepublished(ILogger logger, Guid voteId);

    [LoggerMessage(LogLevel.Warning, "Vote {VoteId}, undecided, not published again: {Reason}")]
    private static partial void LogRepublishFailed(ILogger logger, Guid voteId, string reason);

    [LoggerMessage(LogLevel.Warning, "Revoke refused: {Reason}")]
    private static partial void LogRevokeFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Undo of unpublished vote {VoteId} failed, will retry: {Reason}")]
    private static partial void LogUndoFailed(ILogger logger, Guid voteId, string reason);

    [LoggerMessage(LogLevel.Warning, "Redis state of published revoke of {VoteId} failed, will retry: {Reason}")]
    private static partial void LogRevokeStateFailed(ILogger logger, Guid voteId, string reason);
}
