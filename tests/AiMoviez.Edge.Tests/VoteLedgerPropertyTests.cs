using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Votes;
using CsCheck;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// The edge's Redis rules (the vote script, the revoke's find and revoke, the undo of a vote whose publish failed, the
/// genre vote's change and undo) on random sequences of requests from a few voters behind two IPs, against a real Redis,
/// each answer compared with DOMAIN.md's rules kept as plain collections: the sliding windows, one vote per clip, one
/// super and one mega per slot, the daily weight, idempotent replays, captcha tokens spent once, the flags, and genre
/// changes in order. On one server and on a Redis Cluster, where the IP's window (and a captcha token) is counted by a
/// call of its own first.
/// </summary>
public sealed class VoteLedgerPropertyTests
{
    private const int VoterLimit = 4, IpLimit = 6, DailyWeightLimit = 15, FlagWhenRemainingAtMost = 1, FlagVoterKeysPerIpHour = 2;
    private const string Region = "model";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly SeasonSnapshot Season = EdgeStack.NewSeason(1, SlotStatuses.Voting, TimeSpan.FromHours(1), 3, activatedHoursAgo: 1);

    /// <summary>
    /// One request: <see cref="Kind"/> below 7 a vote, 7 and 8 a revoke, 9 a vote whose publish fails (undone when the
    /// script accepted it), 10 a genre vote and 11 one whose publish fails (<see cref="Type"/> picks the genre, or none);
    /// <see cref="Extra"/> below 5 and 14 a multi-vote (often, so that a clip's votes pile up and are revoked one by one),
    /// 12 and 13 a vote with one of two captcha tokens the edge verified, 15 a request the edge already refused;
    /// <see cref="Wait"/> how long it comes after the request before it: at once, 0.7 s, 3 s, or more than the rate window.
    /// </summary>
    private readonly record struct Step(int Kind, int Voter, int Ip, int Slot, int Clip, int Type, int Idempotency, int Extra, int Wait);

    private static readonly Gen<Step> Steps = Gen.Select(
        Gen.Select(Gen.Int[0, 11], Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[1, 2]),
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 9], Gen.Int[0, 2], Gen.Int[0, 15]),
        Gen.Int[0, 7],
        (a, b, wait) => new Step(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4, wait));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_answer_of_the_vote_scripts_is_the_rules_answer(bool cluster)
    {
        using var dir = new TempDirectory("ledger-model");
        await using var single = cluster ? null : await RedisServer.StartAsync(dir.Path);
        await using var servers = cluster ? await RedisCluster.StartAsync(dir.Path) : null;
        var endpoints = single?.Endpoint ?? servers!.Endpoints;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(endpoints);
        var options = new EdgeOptions
        {
            Region = Region, VotesPerVoterPerWindow = VoterLimit, VotesPerIpPerWindow = IpLimit, RateWindow = Window,
            DailyWeightLimit = DailyWeightLimit, FlagWhenRemainingAtMost = FlagWhenRemainingAtMost, FlagVoterKeysPerIpHour = FlagVoterKeysPerIpHour,
            RedisTimeout = TimeSpan.FromSeconds(5),
        };
        var ledger = new VoteLedger(connection.GetDatabase(), Options.Create(options), Options.Create(new CaptchaOptions()),
            new RegionTopology { Name = Region, EdgeUrl = "", Nats = "", Redis = endpoints });
        var runs = 0;

        await Steps.Array[1, 30].SampleAsync(async steps =>
        {
            // Each sample has voters and IPs of its own, so samples share nothing in Redis.
            var run = Interlocked.Increment(ref runs);
            // In a cluster the IP's keys are in another slot than the voter's, nearly always: the model is told which.
            var model = new Rules(cluster, (voter, ip) => cluster
                && connection.HashSlot(VoterBuckets.Tag(voter)) != connection.HashSlot("{i" + ip + "}"));
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Func<Task>? lateUndo = null;
            foreach (var step in steps)
            {
                // Never behind the real clock, which the script's deadline is measured by; whole milliseconds, as Redis keeps them.
                now = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), now + step.Wait switch { < 4 => 0, < 6 => 700, 6 => 3_000, _ => 11_000 });
                var at = DateTimeOffset.FromUnixTimeMilliseconds(now);
                var voter = $"device_model{run}_{step.Voter}";
                var ip = $"10.{run / 256 % 256}.{run % 256}.{step.Ip}";
                var undoAfterThisStep = lateUndo;
                lateUndo = null;
                if (step.Kind is 7 or 8)
                {
                    await RevokeAsync(ledger, model, voter, ip, step.Slot, Season.Clips[step.Clip].Id, at);
                }
                else if (step.Kind >= 10)
                {
                    lateUndo = await ChangeGenreAsync(ledger, model, voter, ip, step, at);
                }
                else
                {
                    await CastAsync(ledger, model, voter, ip, step, at, step.Extra is 12 or 13 ? $"token{run}_{step.Extra}" : null);
                }

                if (undoAfterThisStep is not null)
                {
                    await undoAfterThisStep();
                }
            }

            if (lateUndo is not null)
            {
                await lateUndo();
            }
        }, iter: 400, print: steps => string.Join(", ", steps));
    }

    [Fact]
    public async Task A_slot_reset_takes_any_of_a_clips_multi_votes_off_and_revokes_find_the_others_latest_first()
    {
        await using var lone = await LoneLedger.StartAsync("ledger-multi");
        var (redis, ledger) = (lone.Redis, lone.Ledger);
        const string voter = "device_multi";
        var clip = Season.Clips[0].Id;
        var at = DateTimeOffset.UtcNow;
        var votes = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var attempt = new VoteAttempt(voter, "10.9.9.9", VoteIds.New(at, VoterBuckets.Of(voter)), VoteTypes.Standard, Season, 1, clip, null,
                MultiVote: true, VoteFlags.None, at, at.AddHours(1), null, null);
            Assert.Equal("OK", (await ledger.CastAsync(attempt)).Code);
            votes.Add(attempt.VoteId);
        }

        // The reset takes off the second vote and then the latest: the third now stands on the clip.
        foreach (var voteId in new[] { votes[1], votes[3] })
        {
            await VoteLedger.EvaluateByHashAsync(redis, VoteResetScript.GiveBack,
                [VoteLedger.SlotVotesKey(voter, Season.Id.ToString(), 1), VoteLedger.DayKey(voter, at), ledger.VoterReceiptKey(voter, voteId)],
                [voteId.ToString(), clip.ToString(), 1, VoteStatuses.SlotResetReason, VoteTypes.Standard]);
        }

        foreach (var expected in new[] { votes[2], votes[0] })
        {
            var found = await ledger.FindAsync(voter, "10.9.9.9", Season.Id, 1, clip, at);
            Assert.Equal(expected, found.VoteId);
            Assert.True(await ledger.RevokeAsync(voter, Season.Id, 1, clip, found));
            Assert.False(await ledger.RevokeAsync(voter, Season.Id, 1, clip, found));
        }

        Assert.Null((await ledger.FindAsync(voter, "10.9.9.9", Season.Id, 1, clip, at)).VoteId);
        Assert.Equal(0, (int)await redis.StringGetAsync(VoteLedger.DayKey(voter, at)));
    }

    /// <summary>
    /// A retry with the key while the first attempt's publish is still in flight publishes a copy of the vote; if the
    /// first publish then fails, its undo must leave the vote, whose copy may be stored, as it stands.
    /// </summary>
    [Fact]
    public async Task An_undo_after_a_replay_published_the_vote_again_leaves_the_vote_standing()
    {
        await using var lone = await LoneLedger.StartAsync("ledger-replay-undo");
        var (redis, ledger) = (lone.Redis, lone.Ledger);
        const string voter = "device_replayed";
        var clip = Season.Clips[0].Id;
        var at = DateTimeOffset.UtcNow;
        VoteAttempt Attempt() => new(voter, "10.9.9.9", VoteIds.New(at, VoterBuckets.Of(voter)), VoteTypes.Super, Season, 1, clip, "key-1",
            MultiVote: false, VoteFlags.None, at, at.AddHours(1), null, null);
        var first = Attempt();
        Assert.Equal("OK", (await ledger.CastAsync(first)).Code);
        var replay = await ledger.CastAsync(Attempt());
        Assert.Equal(("REPLAY", VoteStatuses.Accepted, (bool?)false), (replay.Code, replay.Replay!.Status, replay.Replay.MultiVote));

        await ledger.UndoAsync(first);
        Assert.Equal((VoteStatuses.Accepted, (string?)null), await ledger.ReceiptAsync(first.VoteId));
        Assert.Equal(first.VoteId, (await ledger.FindAsync(voter, "10.9.9.9", Season.Id, 1, clip, at)).VoteId);
        Assert.Equal(3, (int)await redis.StringGetAsync(VoteLedger.DayKey(voter, at)));
        Assert.Equal("REPLAY", (await ledger.CastAsync(Attempt())).Code);
    }

    /// <summary>A ledger on a Redis server of its own, with the default limits.</summary>
    private sealed class LoneLedger(TempDirectory dir, RedisServer server, ConnectionMultiplexer connection) : IAsyncDisposable
    {
        public IDatabase Redis { get; } = connection.GetDatabase();

        public VoteLedger Ledger { get; } = new(connection.GetDatabase(),
            Options.Create(new EdgeOptions { Region = Region, RedisTimeout = TimeSpan.FromSeconds(5) }), Options.Create(new CaptchaOptions()),
            new RegionTopology { Name = Region, EdgeUrl = "", Nats = "", Redis = server.Endpoint });

        public static async Task<LoneLedger> StartAsync(string name)
        {
            var dir = new TempDirectory(name);
            var server = await RedisServer.StartAsync(dir.Path);
            return new LoneLedger(dir, server, await ConnectionMultiplexer.ConnectAsync(server.Endpoint));
        }

        public async ValueTask DisposeAsync()
        {
            await connection.DisposeAsync();
            await server.DisposeAsync();
            dir.Dispose();
        }
    }

    private static async Task CastAsync(VoteLedger ledger, Rules model, string voter, string ip, Step step, DateTimeOffset at, string? captchaToken)
    {
        var voteType = step.Type switch { < 6 => VoteTypes.Standard, < 9 => VoteTypes.Super, _ => VoteTypes.Mega };
        var attempt = new VoteAttempt(voter, ip, VoteIds.New(at, VoterBuckets.Of(voter)), voteType, Season, step.Slot, Season.Clips[step.Clip].Id,
            step.Idempotency == 0 ? null : "key" + step.Idempotency, step.Extra is < 5 or 14, VoteFlags.None, at, at.AddHours(1),
            step.Extra == 15 ? ErrorCodes.ClipNotVotable : null, captchaToken is null ? null : CaptchaVerifier.UsedKey(captchaToken));
        var expected = model.Cast(attempt);
        Assert.Equal(expected, await ledger.CastAsync(attempt));
        if (expected.Code != "OK")
        {
            return;
        }

        Assert.Equal((VoteStatuses.Accepted, (string?)null), await ledger.ReceiptAsync(attempt.VoteId));
        if (step.Kind == 9)
        {
            await ledger.UndoAsync(attempt);
            model.Undo(attempt);
            Assert.Equal((VoteStatuses.Rejected, ErrorCodes.DependencyUnavailable), await ledger.ReceiptAsync(attempt.VoteId));
        }
    }

    /// <summary>A genre change; for one whose publish fails, its undo, run after the next request (which may change the genre again).</summary>
    private static async Task<Func<Task>?> ChangeGenreAsync(VoteLedger ledger, Rules model, string voter, string ip, Step step, DateTimeOffset at)
    {
        var genre = step.Type switch { < 5 => "Comedy", < 9 => "Horror", _ => null };
        var verdict = step.Extra == 15 ? ErrorCodes.InvalidRequest : null;
        var expected = model.ChangeGenre(voter, ip, verdict, genre, at);
        var change = await ledger.ChangeGenreAsync(voter, ip, verdict, genre, at);
        Assert.Equal(expected, change);
        Assert.Equal(model.GenreOf(voter), await ledger.GenreOfAsync(voter));
        if (change.Code != "OK" || step.Kind != 11)
        {
            return null;
        }

        return async () =>
        {
            await ledger.UndoGenreAsync(voter, change);
            model.UndoGenre(voter, change);
            Assert.Equal(model.GenreOf(voter), await ledger.GenreOfAsync(voter));
        };
    }

    private static async Task RevokeAsync(VoteLedger ledger, Rules model, string voter, string ip, int slot, Guid clip, DateTimeOffset at)
    {
        var expected = model.Find(voter, ip, slot, clip, at);
        var found = await ledger.FindAsync(voter, ip, Season.Id, slot, clip, at);
        Assert.Equal(expected, found);
        if (found.VoteId is not { } voteId)
        {
            return;
        }

        Assert.True(await ledger.RevokeAsync(voter, Season.Id, slot, clip, found));
        model.Revoke(voter, slot, clip);
        Assert.Equal((VoteStatuses.Revoked, (string?)null), await ledger.ReceiptAsync(voteId));
    }

    /// <summary>
    /// What the rules say each request is answered, from plain collections. On a cluster (<paramref name="cluster"/>) a
    /// captcha token is spent first, in a slot of its own. Where the voter's and the IP's keys are in different slots
    /// (<paramref name="ipInOtherSlot"/>), the IP's window is looked at first, and a voter key counts toward its IP's hour
    /// once its request passes that window, not only with an accepted vote.
    /// </summary>
    private sealed class Rules(bool cluster, Func<string, string, bool> ipInOtherSlot)
    {
        private readonly long _window = (long)Window.TotalMilliseconds;

        /// <summary>Requests counted per window (voter or IP): when, and the request's id.</summary>
        private readonly Dictionary<string, List<(long At, Guid Id)>> _windows = [];

        /// <summary>
        /// Per voter and slot, the latest vote standing on each clip (<c>c:</c> and the clip) and the super and mega votes,
        /// as the voter's slot hash holds them.
        /// </summary>
        private readonly Dictionary<(string Voter, int Slot), Dictionary<string, Standing>> _slots = [];

        /// <summary>The votes a multi-vote on their clip put behind it, oldest first: each stands again, latest first, as the one after it goes.</summary>
        private readonly Dictionary<(string Voter, int Slot, Guid Clip), List<Standing>> _earlier = [];
        private readonly Dictionary<(string Voter, DateOnly Day), int> _days = [];
        private readonly Dictionary<(string Voter, string Key), Standing> _idempotent = [];

        /// <summary>When a replay last marked a vote published again (its receipt's <c>rp</c>).</summary>
        private readonly Dictionary<Guid, DateTimeOffset> _republishedAt = [];
        private readonly Dictionary<(string Ip, int Hour), HashSet<string>> _votersByIpHour = [];

        /// <summary>The captcha tokens a vote has spent: each is good for one vote attempt that gets past the edge's verdict.</summary>
        private readonly HashSet<string> _spentTokens = [];

        /// <summary>Each voter's genre vote ("" once withdrawn) and the sequence of its last change.</summary>
        private readonly Dictionary<string, (string Genre, long Sequence)> _genres = [];

        private sealed record Standing(VoteAttempt Attempt, DateOnly Day, int DayTotal, bool SuperUsed, bool MegaUsed, VoteFlags Flags);

        public CastDecision Cast(VoteAttempt a)
        {
            if (cluster && a.CaptchaKey is { } token)
            {
                // The token's key is in a slot of its own: spent first, whatever comes of the vote; a spent one is the verdict.
                a = a with { CaptchaKey = null, Verdict = _spentTokens.Add(token) ? a.Verdict : ErrorCodes.CaptchaRequired };
            }

            var now = a.Now.ToUnixTimeMilliseconds();
            var voterWindow = "v:" + a.VoterKey;
            var ipWindow = "ip:" + a.ClientIp;
            var voterCount = Count(voterWindow, now);
            var voterWindowWasEmpty = voterCount == 0;
            var ipCount = Count(ipWindow, now);
            var split = ipInOtherSlot(a.VoterKey, a.ClientIp);
            int? voterKeysFromIp = null;
            if (split)
            {
                if (ipCount >= IpLimit)
                {
                    return new CastDecision(ErrorCodes.RateLimited, 0, 0, 0, false, false, VoteFlags.None, Reset(ipWindow, false, now), null, null);
                }

                Add(ipWindow, now, a.VoteId);
                voterKeysFromIp = CountVoterKey(a);
            }

            var day = DateOnly.FromDateTime(a.Now.UtcDateTime);
            var dayTotal = _days.GetValueOrDefault((a.VoterKey, day));
            var held = Held(a.VoterKey, a.SlotPosition);
            var superUsed = held.ContainsKey(VoteTypes.Super);
            var megaUsed = held.ContainsKey(VoteTypes.Mega);

            CastDecision Answer(string code, VoteFlags flags = VoteFlags.None, long retryMs = 0, Guid? voteId = null, ReplayedVote? replay = null,
                UndecidedVote? undecided = null) =>
                new(code, voterCount, Reset(voterWindow, voterWindowWasEmpty, now), dayTotal, superUsed, megaUsed, flags, retryMs, voteId, replay, undecided);

            if (voterCount >= VoterLimit)
            {
                Remove(ipWindow, a.VoteId);
                return Answer(ErrorCodes.RateLimited, retryMs: Reset(voterWindow, false, now));
            }

            if (!split && ipCount >= IpLimit)
            {
                return Answer(ErrorCodes.RateLimited, retryMs: Reset(ipWindow, false, now));
            }

            Add(voterWindow, now, a.VoteId);
            if (!split)
            {
                Add(ipWindow, now, a.VoteId);
            }

            voterCount++;
            ipCount++;
            if (a.IdempotencyKey is { } key && _idempotent.TryGetValue((a.VoterKey, key), out var earlier))
            {
                var e = earlier.Attempt;
                _republishedAt[e.VoteId] = DateTimeOffset.FromUnixTimeMilliseconds(a.Now.ToUnixTimeMilliseconds());
                return Answer("REPLAY", voteId: e.VoteId, replay: new ReplayedVote(new VoteAccepted(e.VoteId, e.ClipId!.Value, Season.Id,
                    e.SlotPosition, e.VoteType, VoteTypes.Weight(e.VoteType), Region, VoteStatuses.Accepted, earlier.DayTotal,
                    new RemainingVotes(DailyWeightLimit - earlier.DayTotal, earlier.SuperUsed ? 0 : 1, earlier.MegaUsed ? 0 : 1)),
                    VoteStatuses.Accepted, earlier.Flags, e.MultiVote));
            }

            if (a.Verdict is { } verdict)
            {
                return Answer(verdict);
            }

            if (a.CaptchaKey is { } captcha && !_spentTokens.Add(captcha))
            {
                return Answer(ErrorCodes.CaptchaRequired);
            }

            if (!a.MultiVote && held.TryGetValue("c:" + a.ClipId, out var onClip))
            {
                // Every receipt here is undecided (no decisions are written), so the vote on the clip comes back with the 409.
                var h = onClip.Attempt;
                return Answer(ErrorCodes.AlreadyVoted, voteId: h.VoteId,
                    undecided: new UndecidedVote(h.VoteId, h.VoteType, onClip.Flags, h.MultiVote, _republishedAt.TryGetValue(h.VoteId, out var at) ? at : null));
            }

            if ((a.VoteType == VoteTypes.Super && superUsed) || (a.VoteType == VoteTypes.Mega && megaUsed))
            {
                return Answer(ErrorCodes.SlotLimit);
            }

            var weight = VoteTypes.Weight(a.VoteType);
            if (dayTotal + weight > DailyWeightLimit)
            {
                return Answer(ErrorCodes.DailyLimit, retryMs: (long)(a.Now.UtcDateTime.Date.AddDays(1) - a.Now.UtcDateTime).TotalMilliseconds);
            }

            var voterKeys = voterKeysFromIp ?? CountVoterKey(a);
            var flags = (voterKeys > FlagVoterKeysPerIpHour ? VoteFlags.ManyVoterKeysFromIp : VoteFlags.None)
                | (VoterLimit - voterCount <= FlagWhenRemainingAtMost || IpLimit - ipCount <= FlagWhenRemainingAtMost ? VoteFlags.AtRateLimit : VoteFlags.None);
            dayTotal += weight;
            _days[(a.VoterKey, day)] = dayTotal;
            superUsed |= a.VoteType == VoteTypes.Super;
            megaUsed |= a.VoteType == VoteTypes.Mega;
            var standing = new Standing(a, day, dayTotal, superUsed, megaUsed, flags);
            if (held.TryGetValue("c:" + a.ClipId, out var before))
            {
                Earlier(a.VoterKey, a.SlotPosition, a.ClipId!.Value).Add(before);
            }

            held["c:" + a.ClipId] = standing;
            if (a.VoteType != VoteTypes.Standard)
            {
                held[a.VoteType] = standing;
            }

            if (a.IdempotencyKey is { } newKey)
            {
                _idempotent[(a.VoterKey, newKey)] = standing;
            }

            return Answer("OK", flags, voteId: a.VoteId);
        }

        /// <summary>A vote answered 503 after the script took it: gone as if never sent, window counts included.</summary>
        public void Undo(VoteAttempt a)
        {
            Remove("v:" + a.VoterKey, a.VoteId);
            Remove("ip:" + a.ClientIp, a.VoteId);

            Withdraw(Held(a.VoterKey, a.SlotPosition)["c:" + a.ClipId]);
        }

        public FoundVote Find(string voter, string ip, int slot, Guid clip, DateTimeOffset at)
        {
            var (code, count, resetMs, retryMs) = CountRequest(voter, ip, at);
            var vote = code == "" ? Held(voter, slot).GetValueOrDefault("c:" + clip) : null;
            return vote is null
                ? new FoundVote(code, count, resetMs, retryMs, null, VoteTypes.Standard, 0, "", "")
                : new FoundVote(code, count, resetMs, retryMs, vote.Attempt.VoteId, vote.Attempt.VoteType, VoteTypes.Weight(vote.Attempt.VoteType),
                    VoteLedger.DayKey(voter, vote.Attempt.Now),
                    vote.Attempt.IdempotencyKey is { } key ? $"idem:{VoterBuckets.Tag(voter)}:{voter}:{key}" : "");
        }

        /// <summary>
        /// A genre change (null: withdrawn), counted in the windows like a vote request; the edge's refusal, if any, is
        /// answered after the windows. Its sequence is now, or one above the voter's last change when that is not older.
        /// </summary>
        public GenreDecision ChangeGenre(string voter, string ip, string? verdict, string? genre, DateTimeOffset at)
        {
            var (code, count, resetMs, retryMs) = CountRequest(voter, ip, at);
            var held = _genres.GetValueOrDefault(voter);
            var before = string.IsNullOrEmpty(held.Genre) ? null : held.Genre;
            if (code != "" || verdict is not null)
            {
                return new GenreDecision(code == "" ? verdict! : code, count, resetMs, retryMs, code == "" ? before : null, 0);
            }

            var sequence = Math.Max(at.ToUnixTimeMilliseconds(), held.Sequence + 1);
            _genres[voter] = (genre ?? "", sequence);
            return new GenreDecision("OK", count, resetMs, 0, before, sequence);
        }

        public string? GenreOf(string voter) => _genres.TryGetValue(voter, out var held) && held.Genre.Length > 0 ? held.Genre : null;

        /// <summary>A change whose publish failed: the genre before returns unless the voter changed it again since.</summary>
        public void UndoGenre(string voter, GenreDecision change)
        {
            if (_genres[voter].Sequence == change.Sequence)
            {
                _genres[voter] = (change.Before ?? "", change.Sequence);
            }
        }

        /// <summary>
        /// The windows' answer to a request that is not a vote (a revoke's find, a genre change): code "" when it is
        /// counted, else RATE_LIMITED, with the voter's count, reset and retry as the scripts give them.
        /// </summary>
        private (string Code, int Count, long ResetMs, long RetryMs) CountRequest(string voter, string ip, DateTimeOffset at)
        {
            var now = at.ToUnixTimeMilliseconds();
            var voterWindow = "v:" + voter;
            var ipWindow = "ip:" + ip;
            var request = Guid.NewGuid();
            var split = ipInOtherSlot(voter, ip);
            if (split)
            {
                if (Count(ipWindow, now) >= IpLimit)
                {
                    return (ErrorCodes.RateLimited, 0, 0, Reset(ipWindow, false, now));
                }

                Add(ipWindow, now, request);
            }

            var count = Count(voterWindow, now);
            var wasEmpty = count == 0;
            if (count >= VoterLimit)
            {
                Remove(ipWindow, request);
                return (ErrorCodes.RateLimited, count, Reset(voterWindow, false, now), Reset(voterWindow, false, now));
            }

            if (!split && Count(ipWindow, now) >= IpLimit)
            {
                return (ErrorCodes.RateLimited, count, Reset(voterWindow, wasEmpty, now), Reset(ipWindow, false, now));
            }

            Add(voterWindow, now, request);
            if (!split)
            {
                Add(ipWindow, now, request);
            }

            return ("", count + 1, Reset(voterWindow, wasEmpty, now), 0);
        }

        public void Revoke(string voter, int slot, Guid clip) =>
            Withdraw(Held(voter, slot)["c:" + clip]);

        /// <summary>A vote no longer standing frees its clip, its super or mega and its weight, and its idempotency key.</summary>
        private void Withdraw(Standing vote)
        {
            var a = vote.Attempt;
            var held = Held(a.VoterKey, a.SlotPosition);
            var earlier = Earlier(a.VoterKey, a.SlotPosition, a.ClipId!.Value);
            if (held.GetValueOrDefault("c:" + a.ClipId) != vote)
            {
                earlier.Remove(vote);
            }
            else if (earlier.Count > 0)
            {
                held["c:" + a.ClipId] = earlier[^1];
                earlier.RemoveAt(earlier.Count - 1);
            }
            else
            {
                held.Remove("c:" + a.ClipId);
            }

            foreach (var field in new[] { VoteTypes.Super, VoteTypes.Mega })
            {
                if (held.GetValueOrDefault(field) == vote)
                {
                    held.Remove(field);
                }
            }

            _days[(a.VoterKey, vote.Day)] -= VoteTypes.Weight(a.VoteType);
            if (a.IdempotencyKey is { } key && _idempotent.GetValueOrDefault((a.VoterKey, key)) == vote)
            {
                _idempotent.Remove((a.VoterKey, key));
            }
        }

        private Dictionary<string, Standing> Held(string voter, int slot)
        {
            if (!_slots.TryGetValue((voter, slot), out var held))
            {
                _slots[(voter, slot)] = held = [];
            }

            return held;
        }

        private List<Standing> Earlier(string voter, int slot, Guid clip)
        {
            if (!_earlier.TryGetValue((voter, slot, clip), out var earlier))
            {
                _earlier[(voter, slot, clip)] = earlier = [];
            }

            return earlier;
        }

        private int Count(string window, long now) => Entries(window, now).Count();

        /// <summary>
        /// Milliseconds until the window's oldest request leaves it; the whole window when the request being answered
        /// found it empty (it is then the only one in it).
        /// </summary>
        private long Reset(string window, bool wasEmpty, long now) =>
            wasEmpty || !Entries(window, now).Any() ? _window : Entries(window, now).Min(r => r.At) + _window - now;

        private IEnumerable<(long At, Guid Id)> Entries(string window, long now) =>
            _windows.GetValueOrDefault(window)?.Where(r => r.At > now - _window) ?? [];

        /// <summary>The voter keys seen from the request's IP in its hour, the request's voter now among them.</summary>
        private int CountVoterKey(VoteAttempt a)
        {
            var hour = (a.ClientIp, a.Now.UtcDateTime.Hour);
            if (!_votersByIpHour.TryGetValue(hour, out var voters))
            {
                _votersByIpHour[hour] = voters = [];
            }

            voters.Add(a.VoterKey);
            return voters.Count;
        }

        private void Remove(string window, Guid id) => _windows.GetValueOrDefault(window)?.RemoveAll(r => r.Id == id);

        private void Add(string window, long now, Guid id)
        {
            if (!_windows.TryGetValue(window, out var entries))
            {
                _windows[window] = entries = [];
            }

            entries.Add((now, id));
        }
    }
}
