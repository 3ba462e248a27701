using System.Threading.Channels;
using AiMoviez.Aggregator.Rules;
using Npgsql;
using NpgsqlTypes;

namespace AiMoviez.Aggregator.Shards;

/// <summary>
/// Binary COPY of a batch's new votes straight into <c>votes</c>, fed by the rules as each vote's row becomes final, so
/// the shard inserts rows while the rules still decide (aggregator/README.md, "Direct COPY").
/// </summary>
internal static class VoteCopy
{
    private const string Columns =
        "vote_id, season_id, slot_position, clip_id, creator_id, voter_key, vote_type, weight, region, flags, multi_vote, accepted_at, utc_day, status, reason, applied_at";

    public static async Task CopyAsync(NpgsqlConnection connection, ChannelReader<NewVote> votes, DateTime appliedAt,
        CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy votes ({Columns}) from stdin (format binary)", cancellationToken);
        // Synchronous field writes: they only fill Npgsql's buffer (flushing when full), and an await per field costs
        // more than the row itself.
        await foreach (var vote in votes.ReadAllAsync(cancellationToken))
        {
            var c = vote.Cast;
            importer.StartRow();
            importer.Write(c.VoteId, NpgsqlDbType.Uuid);
            importer.Write(c.SeasonId, NpgsqlDbType.Uuid);
            importer.Write(c.SlotPosition, NpgsqlDbType.Integer);
            importer.Write(c.ClipId, NpgsqlDbType.Uuid);
            importer.Write(c.CreatorId, NpgsqlDbType.Uuid);
            importer.Write(c.VoterKey, NpgsqlDbType.Text);
            importer.Write(c.VoteType, NpgsqlDbType.Text);
            importer.Write(c.Weight, NpgsqlDbType.Integer);
            importer.Write(c.Region, NpgsqlDbType.Text);
            importer.Write((int)c.Flags, NpgsqlDbType.Integer);
            importer.Write(c.MultiVote, NpgsqlDbType.Boolean);
            importer.Write(c.AcceptedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            importer.Write(vote.UtcDay, NpgsqlDbType.Date);
            importer.Write(vote.Status, NpgsqlDbType.Text);
            if (vote.Reason is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(vote.Reason, NpgsqlDbType.Text);
            }

            importer.Write(appliedAt, NpgsqlDbType.TimestampTz);
        }

        await importer.CompleteAsync(cancellationToken);
    }
}
