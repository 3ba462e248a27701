namespace AiMoviez.Edge.Votes;

/// <summary>The Lua that gives a voter back one vote an admin's slot reset removed (kept apart from the vote script).</summary>
internal static class VoteResetScript
{
    /// <summary>
    /// KEYS: 1 vs:voter:season:slot (the voter's votes in the slot), 2 day:voter:yyyymmdd of the vote's UTC day, 3 the
    /// receipt (<see cref="VoteLedger.VoterReceiptKey"/>, in the voter's slot like the others). ARGV: 1 vote id, 2 clip id,
    /// 3 weight, 4 receipt reason, 5 vote type. Returns 1 the first time it applies to a vote with a receipt, else 0.
    /// The keys that still name this vote are freed whatever happened before, which is idempotent by itself. The weight
    /// is given back only while the receipt shows this edge still charges it (Cast wrote its day; no revoke or undo
    /// since), and the receipt's <c>reset</c> field, which the aggregator's decisions never write, marks it given back:
    /// a redelivered undo finds it and gives nothing twice, even when a late decision rewrote the status meanwhile (it
    /// puts the status back).
    /// </summary>
    public const string GiveBack = VoteScripts.ForgetClipVote + "\n" + """
        local voteId = ARGV[1]
        forgetClipVote(KEYS[1], ARGV[2], voteId)
        if redis.call('HGET', KEYS[1], ARGV[5]) == voteId then redis.call('HDEL', KEYS[1], ARGV[5]) end
        local r = redis.call('HMGET', KEYS[3], 'status', 'day', 'idem', 'reset')
        if not r[1] then return 0 end
        local gave = 0
        if not r[4] then
          if r[2] and r[1] ~= 'revoked' and redis.call('EXISTS', KEYS[2]) == 1 then
            redis.call('DECRBY', KEYS[2], ARGV[3])
          end
          if r[3] and r[3] ~= '' and redis.call('GET', r[3]) == voteId then redis.call('DEL', r[3]) end
          gave = 1
        end
        redis.call('HSET', KEYS[3], 'status', 'revoked', 'reason', ARGV[4], 'reset', '1')
        return gave
        """;
}
