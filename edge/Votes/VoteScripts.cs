namespace AiMoviez.Edge.Votes;

/// <summary>
/// The Lua run in the region's Redis. The edge sends each by EVALSHA, and by EVAL to a server that answers NOSCRIPT
/// (after a Redis restart; <see cref="VoteLedger.EvaluateByHashAsync"/>), so every vote costs one round trip. A number
/// the scripts pass on unchanged goes as its ARGV string, and one they compute as a string.format('%d') of it: Redis
/// 7.0 turns a Lua number argument into text with printf's %.17g, a floating-point conversion that was a visible share
/// of the vote script's CPU.
/// </summary>
internal static class VoteScripts
{
    /// <summary>
    /// The sliding windows' Lua, which the scripts that count a request begin with. <c>windowCount</c> is a window's
    /// count once the entries older than its start are gone; <c>windowReset</c> is the ms until its oldest entry leaves.
    /// A key with no entries is read once and not trimmed, and a window that was empty before the request holds only
    /// it, so its reset is the whole window: a request from a voter with no recent request costs three calls fewer.
    /// </summary>
    private const string SlidingWindows = """
        local function windowCount(key, windowStart)
          local count = redis.call('ZCARD', key)
          if count > 0 then count = count - redis.call('ZREMRANGEBYSCORE', key, '-inf', windowStart) end
          return count
        end
        local function windowReset(key, wasEmpty, now, window)
          if wasEmpty then return window end
          local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          if oldest[2] then return tonumber(oldest[2]) + window - now end
          return window
        end
        """;

    /// <summary>
    /// The Lua that takes one vote off its clip in the voter's slot hash: <c>c:</c> and the clip holds the clip's latest
    /// vote, and <c>p:</c> and the clip the earlier ones a multi-vote left (oldest first, space-separated), so a revoke
    /// takes back the latest and then the one before. Returns whether the vote was there.
    /// </summary>
    internal const string ForgetClipVote = """
        local function forgetClipVote(key, clip, voteId)
          local latestField = 'c:' .. clip
          local earlierField = 'p:' .. clip
          local earlier = redis.call('HGET', key, earlierField)
          if redis.call('HGET', key, latestField) == voteId then
            if not earlier then
              redis.call('HDEL', key, latestField)
              return true
            end
            local before, last = string.match(earlier, '^(.-) ?(%S+)$')
            redis.call('HSET', key, latestField, last)
            if before == '' then redis.call('HDEL', key, earlierField) else redis.call('HSET', key, earlierField, before) end
            return true
          end
          if not earlier then return false end
          local kept = {}
          local found = false
          for id in string.gmatch(earlier, '%S+') do
            if id == voteId and not found then found = true else kept[#kept + 1] = id end
          end
          if not found then return false end
          if #kept == 0 then redis.call('HDEL', key, earlierField) else redis.call('HSET', key, earlierField, table.concat(kept, ' ')) end
          return true
        end
        """;

    /// <summary>
    /// KEYS: 1 rl:v:voter, 2 rl:ip:ip, 3 vs:voter:season:slot (the voter's votes in the slot: field c:clip, the clip's
    /// latest vote, p:clip its earlier ones (<see cref="ForgetClipVote"/>), and super and mega, each the vote id),
    /// 4 day:voter:yyyymmdd, 5 idem:voter:key, 6 ipk:ip:hour (HyperLogLog of voter keys), 7 receipt:voteId,
    /// 8 captcha:token-hash (the token's use, when the edge checked one).
    /// ARGV: 1 now ms, 2 window ms, 3 voter limit, 4 ip limit, 5 verdict ('' = go on, else an error code to answer
    /// with limits only), 6 vote id, 7 type, 8 weight, 9 multi-vote 1/0, 10 daily limit, 11 has idempotency key 1/0,
    /// 12 idempotency ttl s, 13 slot state ttl s, 14 receipt ttl s, 15 voter key, 16 voter keys per ip hour,
    /// 17 flag when remaining at most, 18 clip id, 19 base flags, 20 ms to UTC midnight, 21 season id, 22 slot,
    /// 23 deadline ms, 24 the IP window's count when <see cref="IpWindow"/> already counted the request ('' when this
    /// script counts it: KEYS 2 and 6 are then in the voter's slot; else they are placeholders left alone), 25 the IP's
    /// voter keys <see cref="IpWindow"/> counted, 26 the receipt key's prefix in the voter's slot, 27 used-token ttl s
    /// (0: no captcha token to spend here).
    /// Returns: code, voter count, voter reset ms, day total, super used, mega used, flags, retry ms, vote id, then for
    /// a replay the original receipt: clip, season, slot, type, weight, total, remaining standard/super/mega, and the
    /// receipt's status, the vote's flags and multi-vote 1/0 (what a replay needs to publish the vote again, which the
    /// receipt then records as <c>rp</c>, ms, so <see cref="Undo"/> leaves it); for ALREADY_VOTED, when the vote held on
    /// the clip is still undecided (receipt accepted), its id, then its type, flags, multi-vote 1/0 and when it was last
    /// published again ('' if never; <see cref="Infrastructure.EdgeOptions.RepublishUndecidedAfter"/>). A receipt from
    /// before receipts held the flags is not published again.
    /// Every request the windows let through counts in both (its vote id is the member), whatever it is answered:
    /// refusals, replays and edge verdicts too. One refused by a full window does not count, so a window holds at most
    /// its limit and Retry-After is exact. The script does nothing when the edge has given the attempt up (answered it
    /// 503): when it runs after the deadline by Redis's clock (it waited in a hung server's socket buffer), or when the
    /// receipt is already there (<see cref="Undo"/>'s tombstone). A verified captcha token is spent by the first
    /// attempt that gets past the edge's verdict, whatever its answer; a second use is CAPTCHA_REQUIRED. The day total
    /// and the IP's HyperLogLog get their expiry once, from the call that creates them (a fixed instant for the day; two
    /// hours for a key named by its hour), not again with every vote. The receipt holds what is read from it: status
    /// and reason, a replay's answer and what it publishes again, and what a revoke or a reset gives back (type, weight,
    /// day and idempotency keys).
    /// </summary>
    public const string Cast = SlidingWindows + "\n" + """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local voterLimit = tonumber(ARGV[3])
        local ipLimit = tonumber(ARGV[4])
        local clock = redis.call('TIME')
        if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[23])
          or redis.call('EXISTS', KEYS[7]) == 1 then
          return {'DEPENDENCY_UNAVAILABLE', 0, window, 0, 0, 0, 0, 0, ''}
        end
        local ipHere = ARGV[24] == ''
        local windowStart = string.format('%d', now - window)
        local voterCount = windowCount(KEYS[1], windowStart)
        local voterWindowEmpty = voterCount == 0
        local ipCount
        if ipHere then
          ipCount = windowCount(KEYS[2], windowStart)
        else
          ipCount = tonumber(ARGV[24]) - 1
        end
        local function resetMs(key)
          return windowReset(key, key == KEYS[1] and voterWindowEmpty, now, window)
        end
        local dayTotal = tonumber(redis.call('GET', KEYS[4]) or '0')
        local clipField = 'c:' .. ARGV[18]
        local held = redis.call('HMGET', KEYS[3], 'super', 'mega', clipField)
        local superUsed = held[1] and 1 or 0
        local megaUsed = held[2] and 1 or 0
        local function answer(code, flags, retry, voteId)
          return {code, voterCount, resetMs(KEYS[1]), dayTotal, superUsed, megaUsed, flags, retry, voteId}
        end

        if voterCount >= voterLimit then return answer('RATE_LIMITED', 0, resetMs(KEYS[1]), '') end
        if ipHere and ipCount >= ipLimit then return answer('RATE_LIMITED', 0, resetMs(KEYS[2]), '') end
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[6])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        if ipHere then
          redis.call('ZADD', KEYS[2], ARGV[1], ARGV[6])
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
        end
        voterCount = voterCount + 1
        ipCount = ipCount + 1

        if ARGV[11] == '1' then
          local previous = redis.call('GET', KEYS[5])
          if previous then
            local receipt = ARGV[26] .. previous
            local r = redis.call('HMGET', receipt,
              'clip', 'season', 'slot', 'type', 'weight', 'total', 'rstd', 'rsup', 'rmeg', 'status', 'flags', 'multi')
            if r[10] == 'accepted' and r[12] then redis.call('HSET', receipt, 'rp', ARGV[1]) end
            local reply = answer('REPLAY', 0, 0, previous)
            for i = 1, 12 do reply[#reply + 1] = r[i] or '' end
            return reply
          end
        end
        if ARGV[5] ~= '' then return answer(ARGV[5], 0, 0, '') end
        if ARGV[27] ~= '0' and not redis.call('SET', KEYS[8], '1', 'NX', 'EX', tonumber(ARGV[27])) then
          return answer('CAPTCHA_REQUIRED', 0, 0, '')
        end
        if ARGV[9] ~= '1' and held[3] then
          local r = redis.call('HMGET', ARGV[26] .. held[3], 'status', 'type', 'flags', 'multi', 'rp')
          if r[1] ~= 'accepted' or not r[4] then return answer('ALREADY_VOTED', 0, 0, '') end
          local reply = answer('ALREADY_VOTED', 0, 0, held[3])
          for i = 2, 5 do reply[#reply + 1] = r[i] or '' end
          return reply
        end
        local voteType = ARGV[7]
        if (voteType == 'super' and superUsed == 1) or (voteType == 'mega' and megaUsed == 1) then
          return answer('SLOT_LIMIT', 0, 0, '')
        end
        local weight = tonumber(ARGV[8])
        if dayTotal + weight > tonumber(ARGV[10]) then return answer('DAILY_LIMIT', 0, tonumber(ARGV[20]), '') end

        local voteId = ARGV[6]
        local flags = tonumber(ARGV[19])
        local voterKeys = tonumber(ARGV[25])
        if ipHere then
          local changed = redis.call('PFADD', KEYS[6], ARGV[15]) == 1
          voterKeys = redis.call('PFCOUNT', KEYS[6])
          if changed and voterKeys == 1 then redis.call('EXPIRE', KEYS[6], '7200') end
        end
        if voterKeys > tonumber(ARGV[16]) then flags = bit.bor(flags, 4) end
        local atMost = tonumber(ARGV[17])
        if voterLimit - voterCount <= atMost or ipLimit - ipCount <= atMost then flags = bit.bor(flags, 2) end

        local dayKeyIsNew = dayTotal <= 0
        dayTotal = redis.call('INCRBY', KEYS[4], ARGV[8])
        if dayKeyIsNew then redis.call('PEXPIRE', KEYS[4], string.format('%d', tonumber(ARGV[20]) + 3600000)) end
        if held[3] then
          -- A multi-vote on a clip voted before: the vote standing there joins the clip's earlier votes.
          local earlierField = 'p:' .. ARGV[18]
          local earlier = redis.call('HGET', KEYS[3], earlierField)
          redis.call('HSET', KEYS[3], earlierField, earlier and (earlier .. ' ' .. held[3]) or held[3])
        end
        if voteType == 'super' then
          redis.call('HSET', KEYS[3], clipField, voteId, 'super', voteId)
          superUsed = 1
        elseif voteType == 'mega' then
          redis.call('HSET', KEYS[3], clipField, voteId, 'mega', voteId)
          megaUsed = 1
        else
          redis.call('HSET', KEYS[3], clipField, voteId)
        end
        redis.call('EXPIRE', KEYS[3], ARGV[13])
        local dailyLimit = tonumber(ARGV[10])
        redis.call('HSET', KEYS[7], 'status', 'accepted', 'reason', '', 'clip', ARGV[18],
          'season', ARGV[21], 'slot', ARGV[22], 'type', voteType, 'weight', ARGV[8], 'day', KEYS[4],
          'idem', ARGV[11] == '1' and KEYS[5] or '', 'total', string.format('%d', dayTotal), 'rstd', string.format('%d', dailyLimit - dayTotal),
          'rsup', superUsed == 1 and '0' or '1', 'rmeg', megaUsed == 1 and '0' or '1', 'flags', string.format('%d', flags), 'multi', ARGV[9])
        redis.call('EXPIRE', KEYS[7], ARGV[14])
        if ARGV[11] == '1' then redis.call('SET', KEYS[5], voteId, 'EX', ARGV[12]) end
        return answer('OK', flags, 0, voteId)
        """;

    /// <summary>
    /// Takes back what <see cref="Cast"/> did for an attempt answered 503 (publish failed, or Redis answered too late),
    /// as if Redis had never seen it, window counts included. Same KEYS; ARGV: vote id, clip id, weight, receipt ttl s.
    /// Leaves the receipt as a tombstone, rejected with DEPENDENCY_UNAVAILABLE, whether Cast ran or not: a Cast that
    /// reaches Redis after it (a hung server resumed, a connection given up with the script in its buffer) then does
    /// nothing. A vote a replay published again (the receipt's <c>rp</c>) is left as it is, window counts apart: that
    /// copy may be stored. Idempotent, so it can be retried until Redis answers.
    /// </summary>
    public const string Undo = ForgetClipVote + "\n" + """
        local voteId = ARGV[1]
        redis.call('ZREM', KEYS[1], voteId)
        redis.call('ZREM', KEYS[2], voteId)
        local receipt = redis.call('HMGET', KEYS[7], 'status', 'rp')
        local status = receipt[1]
        if status ~= 'accepted' or receipt[2] then
          if not status then
            redis.call('HSET', KEYS[7], 'status', 'rejected', 'reason', 'DEPENDENCY_UNAVAILABLE')
            redis.call('EXPIRE', KEYS[7], ARGV[4])
          end
          return 0
        end
        forgetClipVote(KEYS[3], ARGV[2], voteId)
        for _, field in ipairs({'super', 'mega'}) do
          if redis.call('HGET', KEYS[3], field) == voteId then redis.call('HDEL', KEYS[3], field) end
        end
        redis.call('DECRBY', KEYS[4], ARGV[3])
        if redis.call('GET', KEYS[5]) == voteId then redis.call('DEL', KEYS[5]) end
        redis.call('DEL', KEYS[7])
        redis.call('HSET', KEYS[7], 'status', 'rejected', 'reason', 'DEPENDENCY_UNAVAILABLE')
        redis.call('EXPIRE', KEYS[7], ARGV[4])
        return 1
        """;

    /// <summary>
    /// Counts a request in the voter's and the IP's sliding windows, as <see cref="Cast"/> does for votes, unless either
    /// is full: then answers RATE_LIMITED, voter count, voter reset ms, retry ms, ''. The start of the scripts for the
    /// other requests that count as votes (<see cref="Find"/>, <see cref="GenreChange"/>): KEYS 2 rl:v:voter, 3 rl:ip:ip;
    /// ARGV 1 now ms, 2 window ms, 3 voter limit, 4 ip limit, 5 request id, 6 1 when <see cref="IpWindow"/> already
    /// counted the request (KEYS 3 is then a placeholder left alone) else 0. Leaves <c>count</c> and <c>reset</c> (ms) set.
    /// </summary>
    private const string CountInWindows = SlidingWindows + "\n" + """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local ipHere = ARGV[6] == '0'
        local windowStart = string.format('%d', now - window)
        local count = windowCount(KEYS[2], windowStart)
        local voterWindowEmpty = count == 0
        local function resetMs(key)
          return windowReset(key, key == KEYS[2] and voterWindowEmpty, now, window)
        end
        if count >= tonumber(ARGV[3]) then return {'RATE_LIMITED', count, resetMs(KEYS[2]), resetMs(KEYS[2]), ''} end
        if ipHere and windowCount(KEYS[3], windowStart) >= tonumber(ARGV[4]) then
          return {'RATE_LIMITED', count, resetMs(KEYS[2]), resetMs(KEYS[3]), ''}
        end
        redis.call('ZADD', KEYS[2], ARGV[1], ARGV[5])
        redis.call('PEXPIRE', KEYS[2], ARGV[2])
        if ipHere then
          redis.call('ZADD', KEYS[3], ARGV[1], ARGV[5])
          redis.call('PEXPIRE', KEYS[3], ARGV[2])
        end
        count = count + 1
        local reset = resetMs(KEYS[2])
        """;

    /// <summary>
    /// The caller's latest vote on a clip, for a revoke, which counts in the windows as a vote request does
    /// (<see cref="CountInWindows"/>). KEYS: 1 vs:voter:season:slot, 2 rl:v:voter, 3 rl:ip:ip. ARGV: now ms,
    /// window ms, voter limit, ip limit, request id, IP counted already 1/0, 7 the receipt key's prefix in the voter's
    /// slot, 8 the clip id. Returns: code ('' or RATE_LIMITED), voter count, voter reset ms, retry ms, vote id or '',
    /// then the receipt's type, weight, day key, idempotency key.
    /// </summary>
    public const string Find = CountInWindows + "\n" + """
        local voteId = redis.call('HGET', KEYS[1], 'c:' .. ARGV[8])
        if not voteId then return {'', count, reset, 0, ''} end
        local r = redis.call('HMGET', ARGV[7] .. voteId, 'type', 'weight', 'day', 'idem')
        return {'', count, reset, 0, voteId, r[1] or 'standard', r[2] or '0', r[3] or '', r[4] or ''}
        """;

    /// <summary>
    /// A genre vote set or withdrawn, which counts in the windows as a vote request does (<see cref="CountInWindows"/>),
    /// refused or not. KEYS: 1 genre:voter (hash of genre, '' when withdrawn, and seq), 2 rl:v:voter, 3 rl:ip:ip. ARGV:
    /// now ms, window ms, voter limit, ip limit, request id, IP counted already 1/0, 7 verdict ('' = go on, else the error
    /// code to answer with the window only), 8 the genre ('' to withdraw). Returns: code (OK, RATE_LIMITED or the verdict), voter count,
    /// voter reset ms, retry ms, the genre before, and for OK the change's sequence: now, or one above the voter's last
    /// when that is not older, so the voter's changes in the region are strictly ordered.
    /// </summary>
    public const string GenreChange = CountInWindows + "\n" + """
        local held = redis.call('HMGET', KEYS[1], 'genre', 'seq')
        local before = held[1] or ''
        if ARGV[7] ~= '' then return {ARGV[7], count, reset, 0, before} end
        local seq = string.format('%d', math.max(now, tonumber(held[2] or '0') + 1))
        redis.call('HSET', KEYS[1], 'genre', ARGV[8], 'seq', seq)
        return {'OK', count, reset, 0, before, seq}
        """;

    /// <summary>
    /// Takes back a genre change whose publish failed, unless a later change of the voter came since: the genre before
    /// returns, the sequence stays. KEYS: 1 genre:voter. ARGV: the change's sequence, the genre before.
    /// </summary>
    public const string GenreUndo = """
        if redis.call('HGET', KEYS[1], 'seq') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'genre', ARGV[2])
        return 1
        """;

    /// <summary>
    /// The IP's window, on a Redis Cluster where the IP's keys hash to another slot than the voter's: run before
    /// <see cref="Cast"/> or <see cref="Find"/>, which then leave the IP's keys alone. KEYS: 1 rl:ip:ip, 2 ipk:ip:hour
    /// (only with a voter key). ARGV: now ms, window ms, ip limit, request id, voter key ('' for a revoke). Returns: 1 when
    /// the request is counted (0 when the window is full and it is not), the window's count with it, reset ms, and the
    /// voter keys seen from the IP this hour. A voter key is counted once its request passes the IP's window, before
    /// the voter's rules are looked at (in the one-slot <see cref="Cast"/>, only with an accepted vote).
    /// </summary>
    public const string IpWindow = SlidingWindows + "\n" + """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local count = windowCount(KEYS[1], string.format('%d', now - window))
        local function resetMs() return windowReset(KEYS[1], count == 0, now, window) end
        if count >= tonumber(ARGV[3]) then return {0, count, resetMs(), 0} end
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        local voterKeys = 0
        if ARGV[5] ~= '' then
          local changed = redis.call('PFADD', KEYS[2], ARGV[5]) == 1
          voterKeys = redis.call('PFCOUNT', KEYS[2])
          if changed and voterKeys == 1 then redis.call('EXPIRE', KEYS[2], '7200') end
        end
        return {1, count + 1, resetMs(), voterKeys}
        """;

    /// <summary>
    /// Undoes a published revoke's vote so the voter may vote again (with multi-vote, the clip's vote before it stands
    /// again). KEYS: 1 the voter's votes in the slot (vs), 2 day key, 3 receipt, 4 idempotency key. ARGV: vote id, clip
    /// id, weight, type. Returns 0 when the vote is no longer on its clip.
    /// </summary>
    public const string Revoke = ForgetClipVote + "\n" + """
        local voteId = ARGV[1]
        if not forgetClipVote(KEYS[1], ARGV[2], voteId) then return 0 end
        if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[3]) end
        if redis.call('HGET', KEYS[1], ARGV[4]) == voteId then redis.call('HDEL', KEYS[1], ARGV[4]) end
        if redis.call('GET', KEYS[4]) == voteId then redis.call('DEL', KEYS[4]) end
        redis.call('HSET', KEYS[3], 'status', 'revoked', 'reason', '')
        return 1
        """;

    /// <summary>
    /// Records when an undecided vote was last published again (the receipt's <c>rp</c>, ms), only on a receipt that is
    /// still there: a hash made here would have no expiry. KEYS: 1 receipt. ARGV: ms.
    /// </summary>
    public const string MarkRepublished = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'rp', ARGV[1])
        return 1
        """;

    /// <summary>
    /// What a ballot shows of the voter. KEYS: 1 the voter's votes in the slot (vs), 2 day key.
    /// Returns: day total, super used, mega used, voted clip ids...
    /// </summary>
    public const string BallotState = """
        local reply = {tonumber(redis.call('GET', KEYS[2]) or '0'), 0, 0}
        for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
          if field == 'super' then reply[2] = 1
          elseif field == 'mega' then reply[3] = 1
          elseif string.sub(field, 1, 2) == 'c:' then reply[#reply + 1] = string.sub(field, 3) end
        end
        return reply
        """;

    /// <summary>
    /// The clips of a ballot this voter has not been shown before in this slot: KEYS: 1 seen set. ARGV: 1 ttl s, then
    /// the clip ids. Returns the ids that were new, so a reload counts no view twice.
    /// </summary>
    public const string FirstViews = """
        local fresh = {}
        for i = 2, #ARGV do
            if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then fresh[#fresh + 1] = ARGV[i] end
        end
        redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
        return fresh
        """;
}
