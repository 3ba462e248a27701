using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

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

                connections.Live.RemoveAll(c => c.IsClosed);
                foreach (var connection in connections.Live)
                {
                    if (connection.TryReserveStream())
                    {
                        return connection;
                    }
                }

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

/// <summary>
/// While open on a thread, the requests that thread writes wait and leave at its end, one send per connection: the
/// requests one tick of the load makes due reach a server in one read, as a proxy's writes would, not one read each.
/// </summary>
public readonly struct WriteBatch : IDisposable
{
    [ThreadStatic]
    private static List<Http2Connection>? t_deferred;
    [ThreadStatic]
    private static int t_depth;

    /// <summary>Opens a batch on this thread; nothing may await inside it, or its writes leave on its thread's next batch.</summary>
    public static WriteBatch Open()
    {
        t_deferred ??= [];
        t_depth++;
        return default;
    }

    public void Dispose()
    {
        if (--t_depth > 0 || t_deferred is not { } deferred)
        {
            return;
        }

        foreach (var connection in deferred)
        {
            connection.FlushDeferred();
        }

        deferred.Clear();
    }

    /// <summary>True when a batch is open on this thread, which will send the connection's frames at its end.</summary>
    internal static bool Defer(Http2Connection connection)
    {
        if (t_depth == 0)
        {
            return false;
        }

        if (!t_deferred!.Contains(connection))
        {
            t_deferred.Add(connection);
        }

        return true;
    }
}

/// <summary>One HTTP/2 connection: requests written under its lock in stream order, responses read by one receive loop.</summary>
internal sealed class Http2Connection
{
    private const int FrameHeaderLength = 9;
    /// <summary>SETTINGS_MAX_FRAME_SIZE's initial value, which this client neither raises nor needs to.</summary>
    public const int MaxFrameSize = 16_384;
    /// <summary>What the connection's receive window is opened to at once, and topped up to when half of it is used.</summary>
    private const int ReceiveWindow = int.MaxValue;
    /// <summary>REFUSED_STREAM: the server did not process the stream at all.</summary>
    private const uint RefusedStream = 0x7;
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _authority;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, OpenStream> _streams = [];
    /// <summary>Frames written and not yet sent: <see cref="_written"/> bytes from the start.</summary>
    private byte[] _writeBuffer = new byte[4_096];
    private int _written;
    private int _nextStreamId = 1;
    private int _reserved;
    /// <summary>Kestrel's default until the server's SETTINGS say otherwise (RFC 9113 lets a client assume none).</summary>
    private int _maxConcurrentStreams = 100;
    private long _sendWindow = 65_535;
    private long _peerInitialStreamWindow = 65_535;
    private long _receivedSinceUpdate;
    private int _lastStreamIdAllowed = int.MaxValue;
    private TaskCompletionSource? _sendWindowOpened;
    private Exception? _closedBy;
    private int _headerBlockStream;
    private readonly List<byte> _headerBlock = [];

    public Http2Connection(Socket socket, string authority)
    {
        _socket = socket;
        _authority = Encoding.ASCII.GetBytes(authority);
        lock (_lock)
        {
            Preface.CopyTo(Room(Preface.Length));
            _written += Preface.Length;
            Span<byte> settings = stackalloc byte[3 * 6];
            WriteSetting(settings, 0x1, 0); // SETTINGS_HEADER_TABLE_SIZE: nothing to remember between responses
            WriteSetting(settings[6..], 0x2, 0); // SETTINGS_ENABLE_PUSH
            WriteSetting(settings[12..], 0x4, int.MaxValue); // SETTINGS_INITIAL_WINDOW_SIZE: a response never waits for us
            Append(FrameType.Settings, 0, 0, settings);
            AppendWindowUpdate(ReceiveWindow - 65_535);
            Flush();
        }

        _ = ReceiveLoopAsync();
    }

    public bool IsClosed => Volatile.Read(ref _closedBy) is not null;

    public bool TryReserveStream()
    {
        lock (_lock)
        {
            if (_closedBy is not null || _streams.Count + _reserved >= _maxConcurrentStreams || _nextStreamId > _lastStreamIdAllowed)
            {
                return false;
            }

            _reserved++;
            return true;
        }
    }

    /// <summary>Writes the request on a stream reserved by <see cref="TryReserveStream"/> and waits for its response.</summary>
    public async Task<LoadResponse> SendAsync(LoadRequest request, long deadline, CancellationToken cancellationToken)
    {
        var bodyLength = request.JsonBody?.Length ?? 0;
        var stream = new OpenStream(this, deadline);
        var released = false;
        try
        {
            while (true)
            {
                Task? windowOpened = null;
                lock (_lock)
                {
                    if (_closedBy is { } closed)
                    {
                        throw new HttpRequestException("The connection closed.", closed);
                    }

                    if (bodyLength > _sendWindow || bodyLength > _peerInitialStreamWindow)
                    {
                        windowOpened = (_sendWindowOpened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                    }
                    else
                    {
                        _reserved--;
                        released = true;
                        stream.Id = _nextStreamId;
                        _nextStreamId += 2;
                        _sendWindow -= bodyLength;
                        Write(stream.Id, request);
                        _streams[stream.Id] = stream;
                        break;
                    }
                }

                await windowOpened.WaitAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close(e);
            throw new HttpRequestException("The connection failed while the request was written.", e);
        }
        finally
        {
            if (!released)
            {
                lock (_lock)
                {
                    _reserved--;
                }
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            using (cancellationToken.UnsafeRegister(static (state, token) => ((OpenStream)state!).Cancel(token), stream))
            {
                return await stream.Response;
            }
        }

        return await stream.Response;
    }

    public void FailExpired(long now)
    {
        List<OpenStream>? expired = null;
        lock (_lock)
        {
            foreach (var stream in _streams.Values)
            {
                if (stream.Deadline <= now)
                {
                    (expired ??= []).Add(stream);
                }
            }
        }

        foreach (var stream in expired ?? [])
        {
            Abandon(stream, new TimeoutException($"No response within the request timeout on stream {stream.Id}."));
        }
    }

    /// <summary>Fails every open stream and closes the socket; later requests go to another connection.</summary>
    public void Close(Exception reason)
    {
        List<OpenStream> open;
        lock (_lock)
        {
            if (_closedBy is not null)
            {
                return;
            }

            _closedBy = reason;
            open = [.. _streams.Values];
            _streams.Clear();
            _sendWindowOpened?.TrySetResult();
        }

        _socket.Dispose();
        foreach (var stream in open)
        {
            stream.Fail(new HttpRequestException("The connection closed before the response.", reason));
        }
    }

    private void Abandon(OpenStream stream, Exception reason)
    {
        lock (_lock)
        {
            if (!_streams.Remove(stream.Id))
            {
                return;
            }

            if (_closedBy is null)
            {
                Span<byte> cancel = stackalloc byte[4];
                BinaryPrimitives.WriteInt32BigEndian(cancel, 0x8); // CANCEL
                Append(FrameType.RstStream, 0, stream.Id, cancel);
                TryFlush();
            }
        }

        stream.Fail(reason);
    }

    private void Write(int streamId, LoadRequest request)
    {
        var body = request.JsonBody;
        var headersCapacity = 64 + _authority.Length + request.Path.Length;
        foreach (var (name, value) in request.Headers)
        {
            headersCapacity += name.Length + value.Length + 12;
        }

        var frames = Room(2 * FrameHeaderLength + headersCapacity + (body?.Length ?? 0));
        var block = frames[FrameHeaderLength..];
        var at = 0;
        at += Hpack.Method(block[at..], request.Method);
        at += Hpack.Indexed(block[at..], 6); // :scheme http
        at += Hpack.Literal(block[at..], 4, request.Path); // :path
        at += Hpack.Literal(block[at..], 1, _authority); // :authority
        if (body is not null)
        {
            at += Hpack.Literal(block[at..], 31, "application/json"u8); // content-type
            at += Hpack.Literal(block[at..], 28, body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)); // content-length
        }

        foreach (var (name, value) in request.Headers)
        {
            at += Hpack.LiteralNewName(block[at..], name, value);
        }

        if (at > MaxFrameSize)
        {
            throw new InvalidOperationException($"A header block of {at} bytes does not fit one frame.");
        }

        var flags = (byte)(FrameFlags.EndHeaders | (body is null ? FrameFlags.EndStream : 0));
        WriteFrameHeader(frames, at, FrameType.Headers, flags, streamId);
        _written += FrameHeaderLength + at;
        if (body is not null)
        {
            Append(FrameType.Data, FrameFlags.EndStream, streamId, body);
        }

        if (!WriteBatch.Defer(this))
        {
            Flush();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var start = 0;
        var end = 0;
        try
        {
            while (true)
            {
                while (end - start >= FrameHeaderLength)
                {
                    var length = buffer[start] << 16 | buffer[start + 1] << 8 | buffer[start + 2];
                    if (end - start < FrameHeaderLength + length)
                    {
                        if (FrameHeaderLength + length > buffer.Length)
                        {
                            Array.Resize(ref buffer, FrameHeaderLength + length);
                        }

                        break;
                    }

                    var streamId = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start + 5)) & int.MaxValue;
                    OnFrame((FrameType)buffer[start + 3], buffer[start + 4], streamId, buffer.AsSpan(start + FrameHeaderLength, length));
                    start += FrameHeaderLength + length;
                }

                if (start == end)
                {
                    start = end = 0;
                }
                else if (start > 0 && buffer.Length - end < FrameHeaderLength + MaxFrameSize)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                var read = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (read == 0)
                {
                    throw new IOException("The server closed the connection.");
                }

                end += read;
            }
        }
        catch (Exception e)
        {
            Close(e);
        }
    }

    private void OnFrame(FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case FrameType.Data:
                OnData(flags, streamId, payload);
                break;
            case FrameType.Headers:
                payload = WithoutPadding(flags, payload);
                if ((flags & FrameFlags.Priority) != 0)
                {
                    payload = payload[5..];
                }

                OnHeaderBlock(flags, streamId, payload);
                break;
            case FrameType.Continuation:
                OnHeaderBlock(flags, streamId, payload);
                break;
            case FrameType.RstStream:
                if (Take(streamId) is { } reset)
                {
                    var error = BinaryPrimitives.ReadUInt32BigEndian(payload);
                    reset.Fail(error == RefusedStream
                        ? new RefusedStreamException(streamId)
                        : new HttpRequestException($"The server reset stream {streamId} (error {error})."));
                }

                break;
            case FrameType.Settings when (flags & FrameFlags.Ack) == 0:
                OnSettings(payload);
                break;
            case FrameType.Ping when (flags & FrameFlags.Ack) == 0:
                lock (_lock)
                {
                    Append(FrameType.Ping, FrameFlags.Ack, 0, payload);
                    TryFlush();
                }

                break;
            case FrameType.GoAway:
                OnGoAway(BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(payload[4..]));
                break;
            case FrameType.WindowUpdate:
                OnWindowUpdate(streamId, BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue);
                break;
        }
    }

    private void OnData(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        OpenStream? stream;
        lock (_lock)
        {
            // Flow control counts the whole frame, padding included, whether or not the stream is still wanted.
            _receivedSinceUpdate += payload.Length;
            if (_receivedSinceUpdate >= ReceiveWindow / 2)
            {
                AppendWindowUpdate((int)_receivedSinceUpdate);
                _receivedSinceUpdate = 0;
                TryFlush();
            }

            _streams.TryGetValue(streamId, out stream);
        }

        stream?.Body.AddRange(WithoutPadding(flags, payload));
        if ((flags & FrameFlags.EndStream) != 0 && stream is not null)
        {
            Complete(stream);
        }
    }

    private void OnHeaderBlock(byte flags, int streamId, ReadOnlySpan<byte> fragment)
    {
        ReadOnlySpan<byte> block;
        if (_headerBlockStream == 0 && (flags & FrameFlags.EndHeaders) != 0)
        {
            block = fragment;
        }
        else
        {
            _headerBlockStream = streamId;
            _headerBlock.AddRange(fragment);
            if ((flags & FrameFlags.EndHeaders) == 0)
            {
                return;
            }

            block = _headerBlock.ToArray();
            _headerBlock.Clear();
            _headerBlockStream = 0;
        }

        OpenStream? stream;
        lock (_lock)
        {
            _streams.TryGetValue(streamId, out stream);
        }

        // Read even for a stream given up on: every block must be decoded in order (RFC 9113 section 4.3).
        var status = Hpack.ReadStatus(block);
        if (stream is null)
        {
            return;
        }

        // A 1xx response is interim; the final one follows on the same stream.
        if (status is >= 200 || stream.Status == 0)
        {
            stream.Status = status ?? stream.Status;
        }

        if ((flags & FrameFlags.EndStream) != 0)
        {
            Complete(stream);
        }
    }

    private void OnSettings(ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            for (var at = 0; at + 6 <= payload.Length; at += 6)
            {
                var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(at + 2)..]);
                switch (BinaryPrimitives.ReadUInt16BigEndian(payload[at..]))
                {
                    case 0x3:
                        _maxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                        break;
                    case 0x4:
                        _peerInitialStreamWindow = value;
                        break;
                }
            }

            Append(FrameType.Settings, FrameFlags.Ack, 0, []);
            TryFlush();
            OpenSendWindow();
        }
    }

    private void OnGoAway(int lastStreamId, uint error)
    {
        List<OpenStream> refused = [];
        lock (_lock)
        {
            _lastStreamIdAllowed = Math.Min(_lastStreamIdAllowed, lastStreamId);
            foreach (var (id, stream) in _streams)
            {
                if (id > lastStreamId)
                {
                    refused.Add(stream);
                }
            }

            foreach (var stream in refused)
            {
                _streams.Remove(stream.Id);
            }
        }

        foreach (var stream in refused)
        {
            stream.Fail(new HttpRequestException($"The server went away (error {error}) before stream {stream.Id}."));
        }
    }

    private void OnWindowUpdate(int streamId, int increment)
    {
        if (streamId != 0)
        {
            // A request body is written whole within the stream's initial window; later updates concern no one here.
            return;
        }

        lock (_lock)
        {
            _sendWindow += increment;
            OpenSendWindow();
        }
    }

    private void OpenSendWindow()
    {
        _sendWindowOpened?.TrySetResult();
        _sendWindowOpened = null;
    }

    private OpenStream? Take(int streamId)
    {
        lock (_lock)
        {
            return _streams.Remove(streamId, out var stream) ? stream : null;
        }
    }

    private void Complete(OpenStream stream)
    {
        if (Take(stream.Id) is not null)
        {
            stream.Succeed();
        }
    }

    /// <summary>Sends what a <see cref="WriteBatch"/> held back, with whatever was written since.</summary>
    internal void FlushDeferred()
    {
        lock (_lock)
        {
            TryFlush();
        }
    }

    /// <summary>Sends every frame written so far; the caller holds the lock.</summary>
    private void Flush()
    {
        if (_written == 0)
        {
            return;
        }

        try
        {
            _socket.Send(_writeBuffer.AsSpan(0, _written));
        }
        finally
        {
            _written = 0;
        }
    }

    private void TryFlush()
    {
        try
        {
            Flush();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The receive loop sees the same failure and closes the connection.
        }
    }

    /// <summary>Room for <paramref name="length"/> more bytes after those written; the caller holds the lock.</summary>
    private Span<byte> Room(int length)
    {
        if (_writeBuffer.Length < _written + length)
        {
            Array.Resize(ref _writeBuffer, Math.Max(_written + length, _writeBuffer.Length * 2));
        }

        return _writeBuffer.AsSpan(_written);
    }

    private void Append(FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload) =>
        _written += WriteFrame(Room(FrameHeaderLength + payload.Length), type, flags, streamId, payload);

    private void AppendWindowUpdate(int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        Append(FrameType.WindowUpdate, 0, 0, payload);
    }

    private static ReadOnlySpan<byte> WithoutPadding(byte flags, ReadOnlySpan<byte> payload) =>
        (flags & FrameFlags.Padded) == 0 ? payload : payload[1..^payload[0]];

    private static void WriteSetting(Span<byte> destination, ushort id, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], value);
    }

    private static int WriteFrame(Span<byte> destination, FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        WriteFrameHeader(destination, payload.Length, type, flags, streamId);
        payload.CopyTo(destination[FrameHeaderLength..]);
        return FrameHeaderLength + payload.Length;
    }

    private static void WriteFrameHeader(Span<byte> destination, int length, FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(length >> 16);
        destination[1] = (byte)(length >> 8);
        destination[2] = (byte)length;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], streamId);
    }

    private enum FrameType : byte
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

    private static class FrameFlags
    {
        public const byte EndStream = 0x1;
        public const byte Ack = 0x1;
        public const byte EndHeaders = 0x4;
        public const byte Padded = 0x8;
        public const byte Priority = 0x20;
    }

    /// <summary>
    /// One request's stream. Its response completes on the receive loop's thread, and the caller's continuation runs
    /// there too (no RunContinuationsAsynchronously): the hand-over this client exists to avoid.
    /// </summary>
    private sealed class OpenStream(Http2Connection connection, long deadline)
    {
        private readonly TaskCompletionSource<LoadResponse> _response = new();

        public int Id { get; set; }
        public long Deadline => deadline;
        public int Status { get; set; }
        public List<byte> Body { get; } = [];
        public Task<LoadResponse> Response => _response.Task;

        public void Succeed()
        {
            if (Status == 0)
            {
                _response.TrySetException(new HttpRequestException($"Stream {Id} ended without a status."));
                return;
            }

            _response.TrySetResult(new LoadResponse(Status, [.. Body]));
        }

        public void Fail(Exception reason) => _response.TrySetException(reason);

        public void Cancel(CancellationToken token) => connection.Abandon(this, new OperationCanceledException(token));
    }
}

/// <summary>A stream the server reset with REFUSED_STREAM: its request was not processed and may go again.</summary>
internal sealed class RefusedStreamException(int streamId) : HttpRequestException($"The server refused stream {streamId} unprocessed.");

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
