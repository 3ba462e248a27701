namespace AiMoviez.Contracts;

/// <summary>
/// The vote ids this edge makes: UUIDv7 whose random part carries the voter's bucket (<see cref="VoterBuckets"/>),
/// so a receipt, read by its vote id alone, is found in the voter's Redis Cluster slot. 16 of the random bits mark the id
/// as carrying a bucket; an id without them (made before, or elsewhere) keeps its receipt under the untagged key.
/// </summary>
public static class VoteIds
{
    // rand_a (12 bits) is 0b10 then the 10-bit bucket; rand_b begins with the variant and then 14 fixed bits.
    private const int RandATag = 0x800;
    private const byte MarkHigh = 0x2A;
    private const byte MarkLow = 0x5C;

    public static Guid New(DateTimeOffset now, int bucket)
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7(now).TryWriteBytes(bytes, bigEndian: true, out _);
        var randA = RandATag | (bucket & (VoterBuckets.Count - 1));
        bytes[6] = (byte)(0x70 | (randA >> 8));
        bytes[7] = (byte)randA;
        bytes[8] = (byte)(0x80 | MarkHigh);
        bytes[9] = MarkLow;
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// The instant <see cref="New"/> was given, to the millisecond (a UUIDv7's first 48 bits): when the edge accepted the
    /// vote, which is why an earlier instant than the exact one never falls on another UTC day.
    /// </summary>
    public static DateTimeOffset TimeOf(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        var ms = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    /// <summary>The bucket the id carries, or null when it was not made by <see cref="New"/>.</summary>
    public static int? BucketOf(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        var randA = ((bytes[6] & 0x0F) << 8) | bytes[7];
        return bytes[6] >> 4 == 7 && (randA & 0xC00) == RandATag && bytes[8] == (0x80 | MarkHigh) && bytes[9] == MarkLow
            ? randA & (VoterBuckets.Count - 1)
            : null;
    }
}
