using AiMoviez.Contracts;
using AiMoviez.Core.Data;
using Npgsql;

namespace AiMoviez.Core.Catalog;

/// <summary>Builds the snapshot edges poll, from one consistent read of the catalog.</summary>
internal sealed class CatalogSnapshotReader(CatalogDatabase catalog)
{
    public async Task<long> VersionAsync(CancellationToken ct)
    {
        await using var command = catalog.DataSource.CreateCommand("select version from catalog_state where id = 1");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// The clip with this id, its season and the season's number and status, whatever either's status; null when there is
    /// no such clip.
    /// </summary>
    public async Task<ClipPlacement?> PlaceClipAsync(Guid id, CancellationToken ct)
    {
        await using var command = catalog.DataSource.CreateCommand(
            """
            select c.season_id, s.number as season_number, s.status as season_status
            from clips c join seasons s on s.id = c.season_id
            where c.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new ClipPlacement
            {
                Id = id,
                SeasonId = reader.Get<Guid>("season_id"),
                SeasonNumber = reader.Get<int>("season_number"),
                SeasonStatus = reader.Get<string>("season_status"),
            }
            : null;
    }

    public async Task<CatalogSnapshot> ReadAsync(CancellationToken ct)
    {
        await using var connection = await catalog.DataSource.OpenConnectionAsync(ct);
        // One snapshot of the database so the version matches the content.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

        long version;
        await using (var command = new NpgsqlCommand("select version from catalog_state where id = 1", connection, transaction))
        {
            version = (long)(await command.ExecuteScalarAsync(ct))!;
        }

        var flags = new Dictionary<string, bool>();
        await using (var command = new NpgsqlCommand("select key, enabled from feature_flags", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                flags[reader.Get<string>("key")] = reader.Get<bool>("enabled");
            }
        }

        var bannedUsers = new List<string>();
        var bannedVoters = new List<string>();
        await using (var command = new NpgsqlCommand("select kind, subject from bans order by subject", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                (reader.Get<string>("kind") == "user" ? bannedUsers : bannedVoters).Add(reader.Get<string>("subject"));
            }
        }

        var seasons = new List<(SeasonSnapshot Season, int? Position)>();
        await using (var command = new NpgsqlCommand("""
            select se.id, se.number, se.label, se.genre, se.total_slots, se.activated_at, sl.position, sl.status, sl.voting_ends_at
            from seasons se
            left join slots sl on sl.season_id = se.id and sl.status in ('voting', 'waiting_for_clips')
            where se.status = 'active'
            order by se.activated_at desc, se.id
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var position = reader.Get<int?>("position");
                seasons.Add((new SeasonSnapshot
                {
                    Id = reader.Get<Guid>("id"),
                    Number = reader.Get<int>("number"),
                    Label = reader.Get<string>("label"),
                    Genre = reader.Get<string>("genre"),
                    TotalSlots = reader.Get<int>("total_slots"),
                    ActivatedAt = reader.Get<DateTimeOffset?>("activated_at"),
                    CurrentSlot = position is null ? null : new SlotSnapshot
                    {
                        Position = position.Value,
                        Status = reader.Get<string>("status"),
                        VotingEndsAt = reader.Get<DateTimeOffset?>("voting_ends_at"),
                    },
                    Clips = [],
                }, position));
            }
        }

        var clips = new Dictionary<Guid, List<ClipSnapshot>>();
        await using (var command = new NpgsqlCommand("""
            select c.season_id, c.id, c.creator_id, c.title, c.genre, c.video_url, c.thumbnail_url, c.created_at, c.approved_at
            from clips c
            join seasons se on se.id = c.season_id and se.status = 'active'
            join slots sl on sl.season_id = c.season_id and sl.position = c.slot_position and sl.status in ('voting', 'waiting_for_clips')
            where c.status = 'active'
            order by c.approved_at, c.id
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var seasonId = reader.Get<Guid>("season_id");
                if (!clips.TryGetValue(seasonId, out var list))
                {
                    clips[seasonId] = list = [];
                }

                list.Add(new ClipSnapshot
                {
                    Id = reader.Get<Guid>("id"),
                    CreatorId = reader.Get<Guid>("creator_id"),
                    Title = reader.Get<string>("title"),
                    Genre = reader.Get<string>("genre"),
                    VideoUrl = reader.Get<string>("video_url"),
                    ThumbnailUrl = reader.GetOrNull<string>("thumbnail_url"),
                    CreatedAt = reader.Get<DateTimeOffset>("created_at"),
                    ApprovedAt = reader.Get<DateTimeOffset?>("approved_at"),
                });
            }
        }

        // The complement of the query above, ids only, so a vote on such a clip is CLIP_NOT_VOTABLE rather than
        // CLIP_NOT_FOUND; bounded by the active seasons, whose clips clips_season_slot finds.
        var notVotable = new Dictionary<Guid, List<Guid>>();
        await using (var command = new NpgsqlCommand("""
            select c.season_id, c.id
            from clips c
            join seasons se on se.id = c.season_id and se.status = 'active'
            left join slots sl on sl.season_id = c.season_id and sl.position = c.slot_position and sl.status in ('voting', 'waiting_for_clips')
            where c.status <> 'active' or sl.season_id is null
            order by c.id
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var seasonId = reader.Get<Guid>("season_id");
                if (!notVotable.TryGetValue(seasonId, out var list))
                {
                    notVotable[seasonId] = list = [];
                }

                list.Add(reader.Get<Guid>("id"));
            }
        }

        // Each active or just-finished season's latest lock, for the SSE slot event's winner.
        var lastLocked = new Dictionary<Guid, LockedSlotSnapshot>();
        var finished = new List<FinishedSeasonSnapshot>();
        await using (var command = new NpgsqlCommand("""
            select distinct on (sl.season_id) sl.season_id, se.status, sl.position, sl.winner_clip_id
            from slots sl join seasons se on se.id = sl.season_id
            where sl.status = 'locked'
              and (se.status = 'active' or (se.status = 'finished' and sl.locked_at > now() - interval '1 day'))
            order by sl.season_id, sl.position desc
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var locked = new LockedSlotSnapshot { Position = reader.Get<int>("position"), WinnerClipId = reader.Get<Guid>("winner_clip_id") };
                if (reader.Get<string>("status") == SeasonStatuses.Active)
                {
                    lastLocked[reader.Get<Guid>("season_id")] = locked;
                }
                else
                {
                    finished.Add(new FinishedSeasonSnapshot { Id = reader.Get<Guid>("season_id"), LastLockedSlot = locked });
                }
            }
        }

        await transaction.CommitAsync(ct);
        return new CatalogSnapshot
        {
            Version = version,
            GeneratedAt = DateTimeOffset.UtcNow,
            Flags = new FeatureFlagSet
            {
                VotingEnabled = flags.GetValueOrDefault(FeatureFlagKeys.VotingEnabled, true),
                MultiVoteEnabled = flags.GetValueOrDefault(FeatureFlagKeys.MultiVoteEnabled),
                RequireAuthVoting = flags.GetValueOrDefault(FeatureFlagKeys.RequireAuthVoting),
                RequireCaptchaVoting = flags.GetValueOrDefault(FeatureFlagKeys.RequireCaptchaVoting),
            },
            Seasons = seasons.Select(s => s.Season with
            {
                Clips = clips.GetValueOrDefault(s.Season.Id) ?? [],
                NotVotableClipIds = notVotable.GetValueOrDefault(s.Season.Id) ?? [],
                LastLockedSlot = lastLocked.GetValueOrDefault(s.Season.Id),
            }).ToList(),
            FinishedSeasons = finished,
            BannedUserIds = bannedUsers,
            BannedVoterKeys = bannedVoters,
        };
    }
}
