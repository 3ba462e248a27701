using System.Buffers.Binary;

namespace AiMoviez.Perf.Load;

/// <summary>HTTP/2 frames (RFC 9113 section 4): the 9-byte header every frame starts with, and the settings' layout.</summary>
internal static class Http2Frame
{
    public const int HeaderLength = 9;

    /// <summary>A frame's payload without its padding (the PADDED flag's length byte and the bytes it counts).</summary>
    public static ReadOnlySpan<byte> WithoutPadding(byte flags, ReadOnlySpan<byte> payload) =>
        (flags & Http2FrameFlags.Padded) == 0 ? payload : payload[1..^payload[0]];

    public static void WriteSetting(Span<byte> destination, ushort id, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], value);
    }

    public static int Write(Span<byte> destination, Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        WriteHeader(destination, payload.Length, type, flags, streamId);
        payload.CopyTo(destination[HeaderLength..]);
        return HeaderLength + payload.Length;
    }

    public static void WriteHeader(Span<byte> destination, int length, Http2FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], streamId);
    }
}

/// <summary>The frame types a client of Kestrel meets; the others are read past.</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    RstStream = 0x3,
    Settings = 0x4,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

internal static class Http2FrameFlags
{
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;
}
