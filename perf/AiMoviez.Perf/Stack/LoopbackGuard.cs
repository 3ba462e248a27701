using System.Net;
using Npgsql;

namespace AiMoviez.Perf.Stack;

/// <summary>The tool may only ever target 127.0.0.x: every URL and database host passes through here first.</summary>
public static class LoopbackGuard
{
    public static Uri Check(Uri uri)
    {
        if (!IsAllowedHost(uri.Host))
        {
            throw new InvalidOperationException($"Refusing to target {uri}: only 127.0.0.x addresses are allowed.");
        }

        return uri;
    }

    public static string CheckConnectionString(string connectionString)
    {
        var host = new NpgsqlConnectionStringBuilder(connectionString).Host ?? "";
        if (host.Split(',').Any(h => !IsAllowedHost(h.Trim())))
        {
            throw new InvalidOperationException($"Refusing database host '{host}': only 127.0.0.x addresses are allowed.");
        }

        return connectionString;
    }

    public static bool IsAllowedHost(string host) =>
        IPAddress.TryParse(host, out var address)
        && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        && address.GetAddressBytes() is [127, 0, 0, _];
}
