using System.Net;
using System.Net.Sockets;
using AiMoviez.Perf.Load;

namespace AiMoviez.Perf.Stack;

/// <summary>
/// HttpClients whose connections leave from 127.0.0.2, the one address the local stack trusts as a reverse proxy
/// (CONTRACT section 2), so the per-voter X-Forwarded-For we send is honoured and the per-IP limit applies per voter.
/// Every service's port takes HTTP/2 with prior knowledge beside browsers' HTTP/1.1 (ServiceDefaults' CleartextHttp2).
/// </summary>
public static class LoopbackHttp
{
    public static readonly IPAddress TrustedProxyAddress = IPAddress.Parse("127.0.0.2");

    /// <summary>As a reverse proxy: many voters' requests on each connection, HTTP/2 with prior knowledge.</summary>
    public static HttpClient Create(int maxConnectionsPerServer, TimeSpan requestTimeout) =>
        new(new Http2PriorKnowledge(Handler(maxConnectionsPerServer))) { Timeout = requestTimeout };

    /// <summary>As a reverse proxy too, for the requests a load sends by the thousand a second (<see cref="Http2LoadClient"/>).</summary>
    public static Http2LoadClient CreateLoadClient(TimeSpan requestTimeout) =>
        new(TrustedProxyAddress, requestTimeout, LoopbackGuard.IsAllowedHost);

    /// <summary>As browsers: HTTP/1.1, a connection each while a request is open (viewers holding a stream).</summary>
    public static HttpClient CreateHttp11(int maxConnectionsPerServer, TimeSpan requestTimeout) =>
        new(Handler(maxConnectionsPerServer)) { Timeout = requestTimeout };

    private static SocketsHttpHandler Handler(int maxConnectionsPerServer) => new()
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
        // Past a connection's 100 streams (Kestrel's limit) a request opens another connection instead of queueing.
        EnableMultipleHttp2Connections = true,
    };

    /// <summary>Every request as HTTP/2 over cleartext: a request message is HTTP/1.1 unless it says otherwise.</summary>
    private sealed class Http2PriorKnowledge(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return base.SendAsync(request, cancellationToken);
        }
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
