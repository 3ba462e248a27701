namespace AiMoviez.Perf.Load;

/// <summary>
/// A power law over the clips: clip 0 (the hot one) takes <c>hotShare</c> of the votes, the rest share the remainder
/// by Zipf (1/rank), which is how attention spreads over a ballot where one clip goes viral.
/// </summary>
public sealed class ClipDistribution
{
    private readonly double[] _cumulative;

    public ClipDistribution(int clipCount, double hotShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clipCount, 1);
        var weights = new double[clipCount];
        if (clipCount == 1)
        {
            weights[0] = 1;
        }
        else
        {
            weights[0] = hotShare;
            var zipfTotal = Enumerable.Range(1, clipCount - 1).Sum(rank => 1.0 / rank);
            for (var i = 1; i < clipCount; i++)
            {
                weights[i] = (1 - hotShare) * (1.0 / i) / zipfTotal;
            }
        }

        _cumulative = new double[clipCount];
        var running = 0.0;
        for (var i = 0; i < clipCount; i++)
        {
            running += weights[i];
            _cumulative[i] = running;
        }

        _cumulative[^1] = 1.0;
    }

    public int ClipCount => _cumulative.Length;

    public int Sample(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, _cumulative.Length - 1);
    }
}
