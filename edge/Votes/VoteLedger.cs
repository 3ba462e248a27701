using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AiMoviez.Contracts;
using AiMoviez.Edge.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiMoviez.Edge.Votes;

/// <summary>
/// The region's Redis state of votes: one script call per operation, each bounded by the Redis timeout. Every key of a
/// voter carries the voter's hash tag, so one script sees them all in a Redis Cluster too; the IP's keys carry the IP's
/// tag, and where that lands in another slot (a cluster, most of the time) a small script on the IP's slot runs first.
/// </summary>
internal sealed class VoteLedger(IDatabase redis, IOptions<EdgeOptions> options, IOptions<CaptchaOptions> captcha, RegionTopology region)
{
    private readonly CaptchaOptions _captcha = captcha.Value;

    // What the client found the region's Redis to be (_layout).
    private const int Unknown = 0, SingleServer = 1, Cluster = 2;

    /// <summary>
    /// How far the edge's and Redis's clocks may disagree before votes are refused as late (they must agree anyway:
    /// edges of a region share the sliding windows, which they stamp).
    /// </summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(1);

    private readonly EdgeOptions _options = options.Value;
    private int _layout;

    public async Task<CastDecision> CastAsync(VoteAttempt attempt)
    {
        var weight = VoteTypes.Weight(attempt.VoteType);
        var stateTtl = StateTtlSeconds(attempt.Now, attempt.VotingEndsAt);
        if (attempt.CaptchaKey is { } captchaKey && IsCluster())
        {
            // The token's key is in a slot of its own: spent by its own call, a used one goes to the script as its verdict.
            var spent = await BoundedAsync(redis.StringSetAsync(captchaKey, 1, _captcha.UsedTokenMemory, When.NotExists), _options.RedisTimeout);
            attempt = attempt with { CaptchaKey = null, Verdict = spent ? attempt.Verdict : ErrorCodes.CaptchaRequired };
        }

        var keys = CastKeys(attempt);
        var ip = await IpWindowFirstAsync(keys[0], keys[1], keys[5], attempt.VoteId.ToString(), attempt.VoterKey, attempt.Now);
        if (ip is { Admitted: false })
        {
            return new CastDecision(ErrorCodes.RateLimited, 0, 0, 0, false, false, VoteFlags.None, ip.Value.ResetMs, null, null);
        }

        if (ip is not null)
        {
            keys[1] = Placeholder(attempt.VoterKey, "ip");
            keys[5] = Placeholder(attempt.VoterKey, "ipk");
        }

        var result = (RedisResult[])(await EvaluateAsync(VoteScripts.Cast, keys,
        [
            attempt.Now.ToUnixTimeMilliseconds(), (long)_options.RateWindow.TotalMilliseconds, _options.VotesPerVoterPerWindow,
            _options.VotesPerIpPerWindow, attempt.Verdict ?? "", attempt.VoteId.ToString(), attempt.VoteType, weight,
            attempt.MultiVote ? 1 : 0, _options.DailyWeightLimit, attempt.IdempotencyKey is null ? 0 : 1,
            (long)_options.IdempotencyWindow.TotalSeconds, stateTtl, (long)_options.ReceiptLifetime.TotalSeconds, attempt.VoterKey,
            _options.FlagVoterKeysPerIpHour, _options.FlagWhenRemainingAtMost, attempt.ClipId?.ToString() ?? "",
            (int)attempt.BaseFlags, MsToUtcMidnight(attempt.Now), attempt.Season?.Id.ToString() ?? "",
            attempt.SlotPosition, (attempt.Now + _options.RedisTimeout + ClockSkewAllowance).ToUnixTimeMilliseconds(),
            ip?.Count ?? (RedisValue)"", ip?.VoterKeys ?? 0, ReceiptPrefix(attempt.VoterKey),
            attempt.CaptchaKey is null ? 0 : (long)_captcha.UsedTokenMemory.TotalSeconds,
        ]))!;

        var code = (string)result[0]!;
        if (ip is not null && code is ErrorCodes.RateLimited or ErrorCodes.DependencyUnavailable)
        {
            // Refused by the voter's full window (or late): it must not count in the IP's window either.
            ForgetInIpWindow(IpWindowKey(attempt.ClientIp), attempt.VoteId.ToString());
        }

        var voteId = (string?)result[8];
        return new CastDecision(
            code, (int)result[1], (long)result[2], (int)result[3], (int)result[4] == 1, (int)result[5] == 1,
            (VoteFlags)(int)result[6], (long)result[7], string.IsNullOrEmpty(voteId) ? null : Guid.Parse(voteId),
            code == "REPLAY" ? ReadReplay(result, Guid.Parse(voteId!), region.Name) : null,
            code == ErrorCodes.AlreadyVoted && !string.IsNullOrEmpty(voteId) ? ReadHeld(result, Guid.Parse(voteId)) : null);
    }

    /// <summary>Where the IP's keys live in another slot, the request leaves the IP's window too, beside the script.</summary>
    public Task UndoAsync(VoteAttempt attempt)
    {
        // The captcha key stays out: an undo leaves a spent token spent, and in a cluster it is in another slot.
        var keys = CastKeys(attempt with { CaptchaKey = null });
        var split = IpInOtherSlot(keys[0], keys[1]);
        if (split)
        {
            keys[1] = Placeholder(attempt.VoterKey, "ip");
            keys[5] = Placeholder(attempt.VoterKey, "ipk");
        }

        var undo = EvaluateInOrderAsync(VoteScripts.Undo, keys,
            [attempt.VoteId.ToString(), attempt.ClipId?.ToString() ?? "", VoteTypes.Weight(attempt.VoteType), (long)_options.ReceiptLifetime.TotalSeconds]);
        return split
            ? Task.WhenAll(undo, BoundedAsync(redis.SortedSetRemoveAsync(IpWindowKey(attempt.ClientIp), attempt.VoteId.ToString()), _options.RedisTimeout))
            : undo;
    }

    /// <summary>
    /// Counts a revoke request in the voter's and the IP's windows and finds the voter's vote on the clip. A request
    /// refused before Redis (unknown clip, voting closed) is counted the same way; its key finds nothing.
    /// </summary>
    public async Task<FoundVote> FindAsync(string voterKey, string clientIp, Guid seasonId, int slot, Guid clipId, DateTimeOffset now)
    {
        var requestId = Guid.CreateVersion7(now).ToString();
        RedisKey[] keys = [SlotVotesKey(voterKey, seasonId.ToString(), slot), VoterWindowKey(voterKey), IpWindowKey(clientIp)];
        var ip = await IpWindowFirstAsync(keys[1], keys[2], "", requestId, "", now);
        if (ip is { Admitted: false })
        {
            return new FoundVote(ErrorCodes.RateLimited, 0, 0, ip.Value.ResetMs, null, VoteTypes.Standard, 0, "", "");
        }

        if (ip is not null)
        {
            keys[2] = Placeholder(voterKey, "ip");
        }

        var result = (RedisResult[])(await EvaluateAsync(VoteScripts.Find, keys,
            [now.ToUnixTimeMilliseconds(), (long)_options.RateWindow.TotalMilliseconds, _options.VotesPerVoterPerWindow,
             _options.VotesPerIpPerWindow, requestId, ip is null ? 0 : 1, ReceiptPrefix(voterKey), clipId.ToString()]))!;
        var code = (string)result[0]!;
        if (ip is not null && code == ErrorCodes.RateLimited)
        {
            ForgetInIpWindow(IpWindowKey(clientIp), requestId);
        }

        var voteId = (string?)result[4];
        return string.IsNullOrEmpty(voteId)
            ? new FoundVote(code, (int)result[1], (long)result[2], (long)result[3], null, VoteTypes.Standard, 0, "", "")
            : new FoundVote(code, (int)result[1], (long)result[2], (long)result[3], Guid.Parse(voteId), (string)result[5]!,
                int.Parse((string)result[6]!, CultureInfo.InvariantCulture), (string)result[7]!, (string)result[8]!);
    }

    /// <summary>
    /// Counts a genre vote request in the voter's and the IP's windows and, unless it was refused (<paramref name="verdict"/>)
    /// or a window is full, sets the voter's genre (null: withdrawn).
    /// </summary>
    public async Task<GenreDecision> ChangeGenreAsync(string voterKey, string clientIp, string? verdict, string? genre, DateTimeOffset now)
    {
        var requestId = Guid.CreateVersion7(now).ToString();
        RedisKey[] keys = [GenreKey(voterKey), VoterWindowKey(voterKey), IpWindowKey(clientIp)];
        var ip = await IpWindowFirstAsync(keys[1], keys[2], "", requestId, "", now);
        if (ip is { Admitted: false })
        {
            return new GenreDecision(ErrorCodes.RateLimited, 0, 0, ip.Value.ResetMs, null, 0);
        }

        if (ip is not null)
        {
            keys[2] = Placeholder(voterKey, "ip");
        }

        var result = (RedisResult[])(await EvaluateAsync(VoteScripts.GenreChange, keys,
            [now.ToUnixTimeMilliseconds(), (long)_options.RateWindow.TotalMilliseconds, _options.VotesPerVoterPerWindow,
             _options.VotesPerIpPerWindow, requestId, ip is null ? 0 : 1, verdict ?? "", genre ?? ""]))!;
        if (ip is not null && (string)result[0]! == ErrorCodes.RateLimited)
        {
            ForgetInIpWindow(IpWindowKey(clientIp), requestId);
        }

        var before = (string?)result[4];
        return new GenreDecision((string)result[0]!, (int)result[1], (long)result[2], (long)result[3],
            string.IsNullOrEmpty(before) ? null : before, result.Length > 5 ? long.Parse((string)result[5]!, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>Puts back the genre before a change whose publish failed, unless the voter changed it again since.</summary>
    public Task UndoGenreAsync(string voterKey, GenreDecision change) =>
        EvaluateAsync(VoteScripts.GenreUndo, [GenreKey(voterKey)],
            [change.Sequence.ToString(CultureInfo.InvariantCulture), change.Before ?? ""]);

    /// <summary>The voter's genre vote as this region recorded it, or null.</summary>
    public async Task<string?> GenreOfAsync(string voterKey)
    {
        var genre = await BoundedAsync(redis.HashGetAsync(GenreKey(voterKey), "genre"), _options.RedisTimeout);
        return genre.IsNullOrEmpty ? null : (string?)genre;
    }

    public async Task<bool> RevokeAsync(string voterKey, Guid seasonId, int slot, Guid clipId, FoundVote vote)
    {
        var season = seasonId.ToString();
        var voteId = vote.VoteId!.Value.ToString();
        var result = await EvaluateAsync(VoteScripts.Revoke,
        [
            SlotVotesKey(voterKey, season, slot), vote.DayKey.Length > 0 ? vote.DayKey : Placeholder(voterKey, "day"),
            VoterReceiptKey(voterKey, vote.VoteId.Value), vote.IdempotencyKey.Length > 0 ? vote.IdempotencyKey : Placeholder(voterKey, "idem"),
        ], [voteId, clipId.ToString(), vote.Weight, vote.VoteType]);
        return (int)result == 1;
    }

    /// <summary>Records on the receipt when an undecided vote was last published again (<see cref="UndecidedVote"/>).</summary>
    public Task MarkRepublishedAsync(string voterKey, Guid voteId, DateTimeOffset at) =>
        EvaluateAsync(VoteScripts.MarkRepublished, [VoterReceiptKey(voterKey, voteId)], [at.ToUnixTimeMilliseconds()]);

    public async Task<BallotVoterState> BallotStateAsync(string voterKey, Guid seasonId, int slot, DateTimeOffset now)
    {
        var season = seasonId.ToString();
        var result = (RedisResult[])(await EvaluateAsync(VoteScripts.BallotState, [SlotVotesKey(voterKey, season, slot), DayKey(voterKey, now)], []))!;
        return new BallotVoterState((int)result[0], (int)result[1] == 1, (int)result[2] == 1,
            [.. result.Skip(3).Select(r => Guid.Parse((string)r!))]);
    }

    /// <summary>
    /// Of the clips a ballot shows, those this voter sees for the first time in the slot: only they count as views.
    /// The seen set lives as long as the slot's other voter state.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> FirstViewsAsync(
        string voterKey, Guid seasonId, int slot, IReadOnlyList<Guid> clipIds, DateTimeOffset now, DateTimeOffset? votingEndsAt)
    {
        if (clipIds.Count == 0)
        {
            return [];
        }

        var values = new RedisValue[clipIds.Count + 1];
        values[0] = StateTtlSeconds(now, votingEndsAt);
        for (var i = 0; i < clipIds.Count; i++)
        {
            values[i + 1] = clipIds[i].ToString();
        }

        var result = (RedisResult[])(await EvaluateAsync(VoteScripts.FirstViews, [SeenKey(voterKey, seasonId.ToString(), slot)], values))!;
        return [.. result.Select(r => Guid.Parse((string)r!))];
    }

    /// <summary>
    /// The receipt's status and reason, or null when there is no such vote (or it expired). A vote a slot reset gave back
    /// (<see cref="VoteResetScript"/>) reads revoked whatever the status: a decision the aggregator published before the
    /// reset may be written after it, and the writes are not ordered.
    /// </summary>
    public async Task<(string Status, string? Reason)?> ReceiptAsync(Guid voteId)
    {
        var values = await BoundedAsync(redis.HashGetAsync(ReceiptKey(voteId), ["status", "reason", "reset"]), _options.RedisTimeout);
        if (values[0].IsNull)
        {
            return null;
        }

        if (!values[2].IsNull)
        {
            return (VoteStatuses.Revoked, VoteStatuses.SlotResetReason);
        }

        var reason = (string?)values[1];
        return ((string)values[0]!, string.IsNullOrEmpty(reason) ? null : reason);
    }

    /// <summary>Writes the aggregator's decisions into the receipts, in one batch.</summary>
    public async Task RecordDecisionsAsync(IReadOnlyList<VoteDecision> decisions)
    {
        var batch = redis.CreateBatch();
        var ttl = _options.ReceiptLifetime;
        var writes = new List<Task>(decisions.Count * 2);
        foreach (var decision in decisions)
        {
            var key = ReceiptKey(decision.VoteId);
            writes.Add(batch.HashSetAsync(key, [new("status", decision.Status), new("reason", decision.Reason ?? "")]));
            writes.Add(batch.KeyExpireAsync(key, ttl));
        }

        batch.Execute();
        await BoundedAsync(Task.WhenAll(writes), _options.RedisTimeout * 4);
    }

    /// <summary>
    /// Bounded by <see cref="EdgeOptions.RedisTimeout"/> here rather than only by the client's timeouts, which it checks
    /// about once a second; a script given up on may still run later (see <see cref="VoteScripts.Undo"/>).
    /// </summary>
    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values) =>
        BoundedAsync(EvaluateByHashAsync(redis, script, keys, values), _options.RedisTimeout);

    /// <summary>
    /// Runs a script by EVAL with its text, never by its hash (<see cref="CommandFlags.NoScriptCache"/>), for a call that
    /// must reach Redis before every call sent after it: an undo sent while the voter's next vote may follow at once. A
    /// server without the script (restarted) would answer EVALSHA with NOSCRIPT, and the text sent then would come behind
    /// that vote, which would find the clip still taken and answer ALREADY_VOTED for a vote never recorded. Undos are
    /// rare, so sending the whole text there costs nothing.
    /// </summary>
    private Task<RedisResult> EvaluateInOrderAsync(string script, RedisKey[] keys, RedisValue[] values) =>
        BoundedAsync(redis.ScriptEvaluateAsync(script, keys, values, CommandFlags.NoScriptCache), _options.RedisTimeout);

    /// <summary>
    /// Runs a script by its SHA1 (EVALSHA), computed once per script: handed the text, StackExchange.Redis finds the hash
    /// by hashing the whole text on every call. A server without the script (restarted, or never sent it) answers
    /// NOSCRIPT, and the text then goes by EVAL, which caches it there. A late EVAL after its caller gave up is as
    /// harmless as a late EVALSHA (<see cref="VoteScripts.Undo"/>).
    /// </summary>
    internal static async Task<RedisResult> EvaluateByHashAsync(IDatabaseAsync redis, string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await redis.ScriptEvaluateAsync(ScriptHashes.GetValue(script, Sha1Of), keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await redis.ScriptEvaluateAsync(script, keys, values);
        }
    }

    /// <summary>Keyed by reference (the scripts are constants), so finding a script's hash hashes none of its text.</summary>
    private static readonly ConditionalWeakTable<string, byte[]> ScriptHashes = new();

    /// <summary>Redis names a script by the SHA1 of its text; a name, not a safeguard.</summary>
    private static byte[] Sha1Of(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));

    /// <summary>
    /// The call, bounded, with every way it fails as a Redis failure: the client can also fault a pending call with
    /// another exception when it gives a connection up (an InvalidOperationException from its pipe reader, seen with a
    /// hung server), and callers must answer that 503 like any outage, not 500.
    /// </summary>
    private static async Task<T> BoundedAsync<T>(Task<T> call, TimeSpan timeout)
    {
        try
        {
            return await call.WaitAsync(timeout);
        }
        catch (Exception e) when (e is not (RedisException or TimeoutException))
        {
            throw AsRedisFailure(e);
        }
    }

    private static async Task BoundedAsync(Task call, TimeSpan timeout)
    {
        try
        {
            await call.WaitAsync(timeout);
        }
        catch (Exception e) when (e is not (RedisException or TimeoutException))
        {
            throw AsRedisFailure(e);
        }
    }

    private static RedisConnectionException AsRedisFailure(Exception e) =>
        new(ConnectionFailureType.InternalFailure, "Redis call failed: " + e.Message, e);

    /// <summary>
    /// On a Redis Cluster where the IP's keys hash to another slot than the voter's, counts the request in the IP's window
    /// first (and its voter key in the IP's HyperLogLog when <paramref name="voterKey"/> is given); null when one script
    /// sees both, as always on a single node. A failure or timeout throws like the vote script's, so the caller answers 503.
    /// </summary>
    private async Task<(bool Admitted, long Count, long ResetMs, long VoterKeys)?> IpWindowFirstAsync(
        RedisKey voterWindow, RedisKey ipWindow, RedisKey ipVoterKeys, string requestId, string voterKey, DateTimeOffset now)
    {
        if (!IpInOtherSlot(voterWindow, ipWindow))
        {
            return null;
        }

        var r = (RedisResult[])(await EvaluateAsync(VoteScripts.IpWindow, voterKey.Length > 0 ? [ipWindow, ipVoterKeys] : [ipWindow],
            [now.ToUnixTimeMilliseconds(), (long)_options.RateWindow.TotalMilliseconds, _options.VotesPerIpPerWindow, requestId, voterKey]))!;
        return ((int)r[0] == 1, (long)r[1], (long)r[2], (long)r[3]);
    }

    private bool IpInOtherSlot(RedisKey voterKey, RedisKey ipKey) =>
        IsCluster() && redis.Multiplexer.HashSlot(voterKey) != redis.Multiplexer.HashSlot(ipKey);

    /// <summary>
    /// Whether the region's Redis is a cluster, as the client found when it connected; settled by the first server it
    /// reached (a server does not change mode without a restart with another configuration).
    /// </summary>
    private bool IsCluster()
    {
        if (Volatile.Read(ref _layout) is var known and not Unknown)
        {
            return known == Cluster;
        }

        foreach (var server in redis.Multiplexer.GetServers())
        {
            if (server.IsConnected)
            {
                var layout = server.ServerType == ServerType.Cluster ? Cluster : SingleServer;
                Volatile.Write(ref _layout, layout);
                return layout == Cluster;
            }
        }

        return false;
    }

    /// <summary>Not awaited: what is left behind only makes the IP's window stricter until it slides past.</summary>
    private void ForgetInIpWindow(RedisKey ipWindow, string requestId) =>
        redis.SortedSetRemove(ipWindow, requestId, CommandFlags.FireAndForget);

    private static RedisKey[] CastKeys(VoteAttempt a)
    {
        var season = a.Season?.Id.ToString() ?? "-";
        return
        [
            VoterWindowKey(a.VoterKey), IpWindowKey(a.ClientIp), SlotVotesKey(a.VoterKey, season, a.SlotPosition), DayKey(a.VoterKey, a.Now),
            $"idem:{VoterTag(a.VoterKey)}:{a.VoterKey}:{a.IdempotencyKey ?? "-"}",
            $"ipk:{IpTag(a.ClientIp)}:{a.Now.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture)}",
            ReceiptKey(a.VoteId), a.CaptchaKey ?? Placeholder(a.VoterKey, "captcha"),
        ];
    }

    /// <summary>
    /// Kept without expiry: the genre vote lasts until the next season's genre is chosen, and the key is one small hash
    /// per voter who took part.
    /// </summary>
    internal static string GenreKey(string voter) => $"genre:{VoterTag(voter)}:{voter}";

    private static string VoterTag(string voter) => VoterBuckets.Tag(voter);

    private static string VoterWindowKey(string voter) => $"rl:v:{VoterTag(voter)}:{voter}";

    /// <summary>The IP's keys' hash tag, never empty (Redis hashes a whole key whose braces hold nothing).</summary>
    private static string IpTag(string ip) => "{i" + ip + "}";

    private static string IpWindowKey(string ip) => "rl:ip:" + IpTag(ip);

    /// <summary>A key in the voter's slot that nothing writes, standing for a key a script is told to leave alone.</summary>
    private static string Placeholder(string voter, string what) => $"none:{VoterTag(voter)}:{what}";

    /// <summary>
    /// The voter's votes in a slot, one hash: <c>c:&lt;clip&gt;</c> for each clip voted for, and <c>super</c> and
    /// <c>mega</c> once used, each holding the vote's id. One key where there were a key per vote, a set and two
    /// markers: a vote creates one key fewer and the script looks all of them up at once.
    /// </summary>
    internal static string SlotVotesKey(string voter, string season, int slot) => $"vs:{VoterTag(voter)}:{voter}:{season}:{slot}";

    internal static string SeenKey(string voter, string season, int slot) => $"seen:{VoterTag(voter)}:{voter}:{season}:{slot}";

    internal static string DayKey(string voter, DateTimeOffset now) =>
        $"day:{VoterTag(voter)}:{voter}:{now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// In its voter's slot when the id carries the bucket (every id this edge makes, <see cref="VoteIds"/>); an id without
    /// it keeps the untagged key, which a single node serves as before.
    /// </summary>
    internal static string ReceiptKey(Guid voteId) => VoterBuckets.ReceiptKey(voteId);

    /// <summary>
    /// The receipt a script on the voter's slot may touch: <see cref="ReceiptKey"/>, unless the id does not carry the voter's
    /// bucket and the Redis is a cluster, where that receipt cannot be in the voter's slot (a vote from before the
    /// cluster); then a key in the voter's slot that holds nothing, so the script frees what it can instead of failing.
    /// </summary>
    internal string VoterReceiptKey(string voter, Guid voteId) =>
        VoteIds.BucketOf(voteId) == VoterBuckets.Of(voter) || !IsCluster() ? ReceiptKey(voteId) : ReceiptPrefix(voter) + voteId;

    /// <summary>What the scripts put before a vote id read from the voter's keys, whose receipt is in the voter's slot.</summary>
    private static string ReceiptPrefix(string voter) => "receipt:" + VoterTag(voter) + ":";

    private static long MsToUtcMidnight(DateTimeOffset now) =>
        (long)(now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime).TotalMilliseconds;

    /// <summary>Dedup state lives until a day after the slot closes; the aggregator enforces the rules for good.</summary>
    private static long StateTtlSeconds(DateTimeOffset now, DateTimeOffset? votingEndsAt) =>
        Math.Max(3600, (long)((votingEndsAt ?? now) - now).TotalSeconds + 86_400);

    private static UndecidedVote ReadHeld(RedisResult[] result, Guid voteId)
    {
        var voteType = (string?)result[9];
        return new UndecidedVote(voteId, string.IsNullOrEmpty(voteType) ? VoteTypes.Standard : voteType,
            (VoteFlags)(int.TryParse((string?)result[10], CultureInfo.InvariantCulture, out var flags) ? flags : 0), (string?)result[11] == "1",
            long.TryParse((string?)result[12], CultureInfo.InvariantCulture, out var republished) ? DateTimeOffset.FromUnixTimeMilliseconds(republished) : null);
    }

    private static ReplayedVote ReadReplay(RedisResult[] result, Guid voteId, string regionName)
    {
        string Text(int i) => (string?)result[i] ?? "";
        int Number(int i) => int.TryParse(Text(i), CultureInfo.InvariantCulture, out var n) ? n : 0;
        var answer = new VoteAccepted(voteId, Guid.Parse(Text(9)), Guid.Parse(Text(10)), Number(11), Text(12), Number(13), regionName,
            VoteStatuses.Accepted, Number(14), new RemainingVotes(Number(15), Number(16), Number(17)));
        return new ReplayedVote(answer, Text(18), (VoteFlags)Number(19), Text(20) is "" ? null : Text(20) == "1");
    }
}
