using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace AiMoviez.Edge.Identity;

/// <summary>The anonymous voter key of CONTRACT.md section 4.</summary>
internal static class VoterFingerprint
{
    private const string Prefix = "device_";

    /// <summary>Request headers hashed after the client IP, in the contract's order.</summary>
    public static readonly string[] Headers =
        ["User-Agent", "Accept-Language", "Sec-CH-UA", "Sec-CH-UA-Platform", "Sec-CH-UA-Mobile", "Accept-Encoding"];

    /// <summary>
    /// <c>device_</c> + the first 32 hex chars (lower case) of SHA-256(ip|ua|lang|ch-ua|platform|mobile|encoding). Every
    /// anonymous vote computes it, so the input is encoded into one buffer on the stack (pooled for outsized headers)
    /// and only the key itself is allocated.
    /// </summary>
    public static string Compute(string clientIp, params ReadOnlySpan<string> headerValues)
    {
        var length = Encoding.UTF8.GetByteCount(clientIp) + headerValues.Length;
        foreach (var value in headerValues)
        {
            length += Encoding.UTF8.GetByteCount(value);
        }

        const int onStack = 1024;
        byte[]? pooled = length > onStack ? ArrayPool<byte>.Shared.Rent(length) : null;
        var input = pooled is null ? stackalloc byte[onStack] : pooled;
        var written = Encoding.UTF8.GetBytes(clientIp, input);
        foreach (var value in headerValues)
        {
            input[written++] = (byte)'|';
            written += Encoding.UTF8.GetBytes(value, input[written..]);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input[..written], hash);
        if (pooled is not null)
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }

        Span<char> key = stackalloc char[Prefix.Length + 32];
        Prefix.CopyTo(key);
        Convert.TryToHexStringLower(hash[..16], key[Prefix.Length..], out _);
        return new string(key);
    }

    public static string Compute(HttpContext context)
    {
        var headers = context.Request.Headers;
        return Compute(context.Connection.RemoteIpAddress?.ToString() ?? "", headers[Headers[0]].ToString(), headers[Headers[1]].ToString(),
            headers[Headers[2]].ToString(), headers[Headers[3]].ToString(), headers[Headers[4]].ToString(), headers[Headers[5]].ToString());
    }
}
