using System.Text;

namespace AiMoviez.Perf.Load;

/// <summary>
/// The HPACK (RFC 7541) this client needs: request fields as literals never added to a table, and a response's status
/// read from a block encoded against an empty dynamic table (the client's SETTINGS_HEADER_TABLE_SIZE is 0).
/// </summary>
internal static class Hpack
{
    /// <summary>The static table's :status entries, indexes 8 to 14.</summary>
    private static readonly int[] StaticStatuses = [200, 204, 206, 304, 400, 404, 500];

    /// <summary>:method, indexed for GET (2) and POST (3), else a literal with the :method name.</summary>
    public static int Method(Span<byte> destination, HttpMethod method) =>
        method == HttpMethod.Get ? Indexed(destination, 2)
        : method == HttpMethod.Post ? Indexed(destination, 3)
        : Literal(destination, 2, method.Method);

    public static int Indexed(Span<byte> destination, int index) => Integer(destination, index, 7, 0x80);

    /// <summary>Literal header field without indexing, its name from the static table.</summary>
    public static int Literal(Span<byte> destination, int nameIndex, string value)
    {
        var at = Integer(destination, nameIndex, 4, 0x00);
        return at + String(destination[at..], value);
    }

    public static int Literal(Span<byte> destination, int nameIndex, ReadOnlySpan<byte> value)
    {
        var at = Integer(destination, nameIndex, 4, 0x00);
        at += Integer(destination[at..], value.Length, 7, 0x00);
        value.CopyTo(destination[at..]);
        return at + value.Length;
    }

    /// <summary>Literal header field without indexing, with a new name (lowercase, as HTTP/2 requires).</summary>
    public static int LiteralNewName(Span<byte> destination, string name, string value)
    {
        destination[0] = 0x00;
        var at = 1 + String(destination[1..], name);
        return at + String(destination[at..], value);
    }

    /// <summary>The :status of a response header block; null when it has none (a trailer block).</summary>
    public static int? ReadStatus(ReadOnlySpan<byte> block)
    {
        int? status = null;
        var at = 0;
        while (at < block.Length)
        {
            var first = block[at];
            if ((first & 0x80) != 0)
            {
                var index = ReadInteger(block, ref at, 7);
                if (index is >= 8 and <= 14)
                {
                    status = StaticStatuses[index - 8];
                }
                else if (index is 0 or > 61)
                {
                    throw new InvalidDataException($"HPACK index {index} is not in the static table, and the dynamic table is empty.");
                }
            }
            else if ((first & 0xE0) == 0x20)
            {
                ReadInteger(block, ref at, 5); // A dynamic table size update: the table stays empty.
            }
            else
            {
                var prefix = (first & 0x40) != 0 ? 6 : 4;
                var nameIndex = ReadInteger(block, ref at, prefix);
                if (nameIndex == 0)
                {
                    ReadString(block, ref at, out _);
                }
                else if (nameIndex > 61)
                {
                    throw new InvalidDataException($"HPACK name index {nameIndex} is not in the static table, and the dynamic table is empty.");
                }

                var value = ReadString(block, ref at, out var huffman);
                if (nameIndex is >= 8 and <= 14)
                {
                    status = huffman
                        ? throw new InvalidDataException("A Huffman-coded :status; this client reads the raw digits Kestrel sends.")
                        : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return status;
    }

    private static int String(Span<byte> destination, string value)
    {
        var at = Integer(destination, value.Length, 7, 0x00);
        return at + Encoding.ASCII.GetBytes(value, destination[at..]);
    }

    /// <summary>An integer with an N-bit prefix (RFC 7541 section 5.1), the first byte's other bits set to <paramref name="flags"/>.</summary>
    private static int Integer(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | max);
        var at = 1;
        value -= max;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value & 0x7F | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
        return at;
    }

    private static int ReadInteger(ReadOnlySpan<byte> block, ref int at, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        var value = block[at++] & max;
        if (value < max)
        {
            return value;
        }

        for (var shift = 0; ; shift += 7)
        {
            if (shift > 28)
            {
                throw new InvalidDataException("An HPACK integer too large.");
            }

            var next = block[at++];
            value += (next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, ref int at, out bool huffman)
    {
        huffman = (block[at] & 0x80) != 0;
        var length = ReadInteger(block, ref at, 7);
        var value = block.Slice(at, length);
        at += length;
        return value;
    }
}
