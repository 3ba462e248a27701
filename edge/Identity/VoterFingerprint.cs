using System.Security.Cryptography;
using System.Text;

namespace AiMoviez.Edge.Identity;

/// <summary>The anonymous voter key of CONTRACT.md section 4.</summary>
internal static class VoterFingerprint
{
    /// <summary>Request headers hashed after the client IP, in the contract's order.</summary>
    public static readonly string[] Headers =
        ["User-Agent", "Accept-Language", "Sec-CH-UA", "Sec-CH-UA-Platform", "Sec-CH-UA-Mobile", "Accept-Encoding"];

    /// <summary><c>device_</c> + the first 32 hex chars (lower case) of SHA-256(ip|ua|lang|ch-ua|platform|mobile|encoding).</summary>
    public static string Compute(string clientIp, IReadOnlyList<string> headerValues)
    {
        var input = clientIp + "|" + string.Join('|', headerValues);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(input));
        return "device_" + Convert.ToHexStringLower(hash)[..32];
    }

    public static string Compute(HttpContext context) =>
        Compute(context.Connection.RemoteIpAddress?.ToString() ?? "", [.. Headers.Select(h => context.Request.Headers[h].ToString())]);
}
