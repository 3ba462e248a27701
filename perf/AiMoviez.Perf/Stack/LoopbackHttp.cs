using System.Net;
using System.Net.Sockets;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// HttpClients whose connections leave from 127.0.0.2, the one address the local stack trusts as a reverse proxy
/// (CONTRACT section 2), so the per-voter X-Forwarded-For we send is honoured and the per-IP limit applies per voter.
/// </summary>
public static class LoopbackHttp
{
    public static readonly IPAddress TrustedProxyAddress = IPAddress.Parse("127.0.0.2");

    public static HttpClient Create(int maxConnectionsPerServer, TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectCallback = ConnectFromTrustedProxyAsync,
        };
        return new HttpClient(handler) { Timeout = requestTimeout };
    }

    private static async ValueTask<Stream> ConnectFromTrustedProxyAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!LoopbackGuard.IsAllowedHost(context.DnsEndPoint.Host))
        {
            throw new InvalidOperationException($"Refusing to connect to {context.DnsEndPoint.Host}.");
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(TrustedProxyAddress, 0));
            await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
