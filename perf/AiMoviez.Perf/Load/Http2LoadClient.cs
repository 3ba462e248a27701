using System.Net;
using System.Net.Sockets;

namespace AiMoviez.Perf.Load;

/// <summary>A request of the load's hot path: a method, a path, header fields (lowercase names) and an optional JSON body.</summary>
public sealed record LoadRequest(HttpMethod Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, byte[]? JsonBody = null);

/// <summary>The status and body of a response; the other header fields are read past, not kept.</summary>
public readonly record struct LoadResponse(int Status, byte[] Body);

/// <summary>
/// HTTP/2 with prior knowledge over cleartext (RFC 9113), as a reverse proxy in front of the edges speaks it, for the
/// requests the load sends by the thousand a second (votes, /healthz). A response is handled on the socket thread that
/// read it, and a request is written by the caller that sends it: no thread is woken to pass either on, where
/// SocketsHttpHandler hands each to a writer loop and each response to a pool worker, and those wake-ups were most of
/// the load tool's CPU per vote (perf/RESULTS.md). It speaks the part of the protocol a client needs with Kestrel:
/// it asks for no header compression state (SETTINGS_HEADER_TABLE_SIZE 0) and no push, opens as many connections per
/// server as the server's stream limit requires, and honours flow control, GOAWAY and RST_STREAM.
/// </summary>
public sealed class Http2LoadClient : IDisposable
{
    /// <summary>How many times a request the server refused unprocessed is sent.</summary>
    private const int MaxAttempts = 3;
    private readonly IPAddress _localAddress;
    private readonly TimeSpan _requestTimeout;
    private readonly Func<string, bool> _hostAllowed;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServerConnections> _servers = new(StringComparer.Ordinal);
    private readonly Timer _timeouts;
    private bool _disposed;

    /// <param name="localAddress">The address every connection leaves from.</param>
    /// <param name="requestTimeout">How long a request may wait for its whole response before it fails with a <see cref="TimeoutException"/>.</param>
    /// <param name="hostAllowed">Checked for every server before connecting to it.</param>
    public Http2LoadClient(IPAddress localAddress, TimeSpan requestTimeout, Func<string, bool> hostAllowed)
    {
        _localAddress = localAddress;
        _requestTimeout = requestTimeout;
        _hostAllowed = hostAllowed;
        var sweep = TimeSpan.FromMilliseconds(Math.Clamp(requestTimeout.TotalMilliseconds / 10, 10, 250));
        _timeouts = new Timer(static state => ((Http2LoadClient)state!).FailExpired(), this, sweep, sweep);
    }

    /// <summary>
    /// Sends the request to <paramref name="server"/> (scheme, host and port are read from it) and returns its response.
    /// Fails with <see cref="HttpRequestException"/> when the connection fails or the server refuses the stream, with
    /// <see cref="TimeoutException"/> past the request timeout, and with <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled first.
    /// </summary>
    public async Task<LoadResponse> SendAsync(Uri server, LoadRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (request.JsonBody?.Length > Http2Connection.MaxFrameSize)
        {
            throw new ArgumentException($"A body over {Http2Connection.MaxFrameSize} bytes does not fit one frame.", nameof(request));
        }

        var deadline = Environment.TickCount64 + (long)_requestTimeout.TotalMilliseconds;
        for (var attempt = 1; ; attempt++)
        {
            var connection = await StreamSlotAsync(server, cancellationToken);
            try
            {
                return await connection.SendAsync(request, deadline, cancellationToken);
            }
            catch (RefusedStreamException) when (attempt < MaxAttempts)
            {
                // The server did not process the request (RFC 9113 section 8.7), so it goes again, as a proxy would send it.
            }
        }
    }

    public void Dispose()
    {
        List<Http2Connection> connections;
        lock (_lock)
        {
            _disposed = true;
            connections = [.. _servers.Values.SelectMany(s => s.Live)];
            _servers.Clear();
        }

        _timeouts.Dispose();
        foreach (var connection in connections)
        {
            connection.Close(new ObjectDisposedException(nameof(Http2LoadClient)));
        }
    }

    /// <summary>A connection to the server with a stream reserved on it; a new connection when every open one is full.</summary>
    private async Task<Http2Connection> StreamSlotAsync(Uri server, CancellationToken cancellationToken)
    {
        var authority = server.Authority;
        while (true)
        {
            Task<Http2Connection> opening;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_servers.TryGetValue(authority, out var connections))
                {
                    _servers[authority] = connections = new ServerConnections();
                }

                foreach (var connection in connections.Live)
                {
                    if (connection.TryReserveStream())
                    {
                        return connection;
                    }
                }

                // Only on the way to a new connection: a closed one never reserves a stream, so it can wait till then.
                connections.Live.RemoveAll(static c => c.IsClosed);

                // A finished opening either added its connection to Live or failed its waiters; the next one starts anew.
                if (connections.Opening is { IsCompleted: true })
                {
                    connections.Opening = null;
                }

                opening = connections.Opening ??= OpenAsync(server, connections);
            }

            await opening.WaitAsync(cancellationToken);
        }
    }

    private async Task<Http2Connection> OpenAsync(Uri server, ServerConnections connections)
    {
        // Off the caller's lock: everything below may complete synchronously on loopback.
        await Task.Yield();
        if (!_hostAllowed(server.Host))
        {
            throw new InvalidOperationException($"Refusing to connect to {server.Host}.");
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Http2Connection connection;
        try
        {
            socket.Bind(new IPEndPoint(_localAddress, 0));
            using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(IPAddress.Parse(server.Host), server.Port, connectTimeout.Token);
            connection = new Http2Connection(socket, server.Authority);
        }
        catch (Exception e)
        {
            socket.Dispose();
            throw new HttpRequestException($"Could not connect to {server.Authority}: {e.Message}", e);
        }

        lock (_lock)
        {
            connections.Live.Add(connection);
        }

        return connection;
    }

    private void FailExpired()
    {
        List<Http2Connection> connections;
        lock (_lock)
        {
            connections = [.. _servers.Values.SelectMany(s => s.Live)];
        }

        var now = Environment.TickCount64;
        foreach (var connection in connections)
        {
            connection.FailExpired(now);
        }
    }

    private sealed class ServerConnections
    {
        public List<Http2Connection> Live { get; } = [];
        public Task<Http2Connection>? Opening { get; set; }
    }
}
