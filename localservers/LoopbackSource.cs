using System.Net;
using System.Net.Sockets;

namespace AiMoviez.LocalServers;

/// <summary>HTTP connections that leave from a chosen loopback address, e.g. the stack's trusted proxy 127.0.0.2.</summary>
public static class LoopbackSource
{
    public static SocketsHttpHandler Handler(string address) => new() { ConnectCallback = (context, ct) => ConnectFromAsync(address, context, ct) };

    private static async ValueTask<Stream> ConnectFromAsync(string address, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
