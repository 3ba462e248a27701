using AiMoviez.Contracts;

namespace AiMoviez.Edge.Catalog;

/// <summary>One catalog snapshot with the look-ups a vote needs indexed.</summary>
internal sealed class CatalogView
{
    private readonly Dictionary<Guid, (SeasonSnapshot Season, ClipSnapshot Clip)> _clips = [];
    private readonly Dictionary<Guid, SeasonSnapshot> _seasons = [];
    private readonly HashSet<Guid> _notVotableClips = [];
    private readonly HashSet<string> _bannedUsers;
    private readonly HashSet<string> _bannedVoterKeys;

    public CatalogView(CatalogSnapshot snapshot)
    {
        Snapshot = snapshot;
        foreach (var season in snapshot.Seasons)
        {
            _seasons[season.Id] = season;
            foreach (var clip in season.Clips)
            {
                _clips[clip.Id] = (season, clip);
            }

            _notVotableClips.UnionWith(season.NotVotableClipIds);
        }

        _bannedUsers = [.. snapshot.BannedUserIds];
        _bannedVoterKeys = [.. snapshot.BannedVoterKeys];
        // The contract's default season is the most recently activated active one.
        DefaultSeason = snapshot.Seasons.OrderByDescending(s => s.ActivatedAt ?? DateTimeOffset.MinValue).FirstOrDefault();
    }

    public CatalogSnapshot Snapshot { get; }

    public FeatureFlagSet Flags => Snapshot.Flags;

    public SeasonSnapshot? DefaultSeason { get; }

    public SeasonSnapshot? Season(Guid id) => _seasons.GetValueOrDefault(id);

    public bool TryGetClip(Guid clipId, out SeasonSnapshot season, out ClipSnapshot clip)
    {
        var found = _clips.TryGetValue(clipId, out var entry);
        (season, clip) = entry;
        return found;
    }

    /// <summary>A clip of an active season that exists but is not active in the season's current slot.</summary>
    public bool IsNotVotable(Guid clipId) => _notVotableClips.Contains(clipId);

    public bool IsBanned(string voterKey, string? userId) =>
        _bannedVoterKeys.Contains(voterKey) || (userId is not null && _bannedUsers.Contains(userId));
}
