namespace AiMoviez.Contracts;

/// <summary>Maps season numbers to vote shards using the topology's append-only ranges.</summary>
public sealed class ShardMap
{
    private readonly IReadOnlyList<SeasonShardRange> _ranges;

    public ShardMap(Topology topology)
    {
        foreach (var range in topology.SeasonShards)
        {
            if (range.FromSeason < 1 || range.ToSeason < range.FromSeason || range.Shards.Count == 0)
            {
                throw new ArgumentException($"Invalid season shard range {range.FromSeason}-{range.ToSeason}.");
            }

            foreach (var shard in range.Shards)
            {
                _ = topology.Shard(shard);
            }
        }

        foreach (var shard in topology.Shards)
        {
            // A shard name is a lane of the vote streams, so one NATS subject token.
            if (shard.Name.Length == 0 || shard.Name == Subjects.UnroutedLane || shard.Name.Any(c => c is '.' or '*' or '>' || char.IsWhiteSpace(c)))
            {
                throw new ArgumentException($"Invalid shard name '{shard.Name}': it must be one NATS subject token other than '{Subjects.UnroutedLane}'.");
            }
        }

        _ranges = topology.SeasonShards;
        GenreShard = topology.Shards.Count > 0 ? topology.Shards[0].Name : null;
    }

    /// <summary>
    /// The shard holding the genre vote: the first shard of the topology, which stays where it is as shards are only
    /// ever appended. Null without shards.
    /// </summary>
    public string? GenreShard { get; }

    /// <summary>The vote-stream lane of genre votes: <see cref="GenreShard"/>, or <see cref="Subjects.UnroutedLane"/>.</summary>
    public string GenreLane => GenreShard ?? Subjects.UnroutedLane;

    /// <summary>The shard name holding the season, or null when no range covers it.</summary>
    public string? ShardFor(int seasonNumber)
    {
        foreach (var range in _ranges)
        {
            if (seasonNumber >= range.FromSeason && seasonNumber <= range.ToSeason)
            {
                return range.Shards[(seasonNumber - range.FromSeason) % range.Shards.Count];
            }
        }

        return null;
    }

    /// <summary>The vote-stream lane of the season: its shard, or <see cref="Subjects.UnroutedLane"/>.</summary>
    public string LaneFor(int seasonNumber) => ShardFor(seasonNumber) ?? Subjects.UnroutedLane;
}
