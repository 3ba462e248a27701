using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AiMoviez.LocalServers;

/// <summary>Mints HS256 JWTs the way `./aimoviez token` does, for tests that act as users or admins.</summary>
public static class DevTokens
{
    public const string Issuer = "aimoviez-local";
    public const string Audience = "aimoviez";

    public static string Create(string signingKey, string subject, bool admin = false, TimeSpan? lifetime = null,
        string issuer = Issuer, string audience = Audience, DateTimeOffset? now = null)
    {
        var issuedAt = now ?? DateTimeOffset.UtcNow;
        var header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["iss"] = issuer,
            ["aud"] = audience,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["nbf"] = issuedAt.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = issuedAt.Add(lifetime ?? TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        };
        if (admin)
        {
            claims["role"] = "admin";
        }

        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + "." + payload + "." + Base64Url(signature);
    }

    public static string NewSigningKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
