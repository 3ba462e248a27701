using System.Globalization;
using AiMoviez.Contracts;

namespace AiMoviez.Perf.Ingest;

public static class BenchmarkVotes
{
    /// <summary>
    /// Distinct voters (one vote each), so every vote is counted and the rules do their full work; time-ordered vote ids
    /// as the edges make them; seasons numbered from 1, taken in turn.
    /// </summary>
    public static IEnumerable<VoteCast> Distinct(string region, int count, int clipCount, int seasons = 1)
    {
        var seasonIds = Enumerable.Range(0, seasons).Select(_ => Guid.NewGuid()).ToArray();
        var clips = Enumerable.Range(0, clipCount).Select(_ => Guid.NewGuid()).ToArray();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var clip = clips[i % clips.Length];
            yield return new VoteCast
            {
                VoteId = Guid.CreateVersion7(),
                SeasonId = seasonIds[i % seasons],
                SeasonNumber = 1 + (i % seasons),
                SlotPosition = 1,
                ClipId = clip,
                CreatorId = clip,
                VoterKey = "device_" + i.ToString("x8", CultureInfo.InvariantCulture),
                VoteType = VoteTypes.Standard,
                Weight = 1,
                Region = region,
                AcceptedAt = now,
                VotingEndsAt = now.AddDays(1),
            };
        }
    }
}
