using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace AiMoviez.Perf.Load;

/// <summary>One HTTP/2 connection: requests written under its lock in stream order, responses read by one receive loop.</summary>
internal sealed class Http2Connection
{
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
            Http2Frame.WriteSetting(settings, 0x1, 0); // SETTINGS_HEADER_TABLE_SIZE: nothing to remember between responses
            Http2Frame.WriteSetting(settings[6..], 0x2, 0); // SETTINGS_ENABLE_PUSH
            Http2Frame.WriteSetting(settings[12..], 0x4, int.MaxValue); // SETTINGS_INITIAL_WINDOW_SIZE: a response never waits for us
            Append(Http2FrameType.Settings, 0, 0, settings);
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
                Append(Http2FrameType.RstStream, 0, stream.Id, cancel);
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

        var frames = Room(2 * Http2Frame.HeaderLength + headersCapacity + (body?.Length ?? 0));
        var block = frames[Http2Frame.HeaderLength..];
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

        var flags = (byte)(Http2FrameFlags.EndHeaders | (body is null ? Http2FrameFlags.EndStream : 0));
        Http2Frame.WriteHeader(frames, at, Http2FrameType.Headers, flags, streamId);
        _written += Http2Frame.HeaderLength + at;
        if (body is not null)
        {
            Append(Http2FrameType.Data, Http2FrameFlags.EndStream, streamId, body);
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
                while (end - start >= Http2Frame.HeaderLength)
                {
                    var length = buffer[start] << 16 | buffer[start + 1] << 8 | buffer[start + 2];
                    if (end - start < Http2Frame.HeaderLength + length)
                    {
                        if (Http2Frame.HeaderLength + length > buffer.Length)
                        {
                            Array.Resize(ref buffer, Http2Frame.HeaderLength + length);
                        }

                        break;
                    }

                    var streamId = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(start + 5)) & int.MaxValue;
                    OnFrame((Http2FrameType)buffer[start + 3], buffer[start + 4], streamId, buffer.AsSpan(start + Http2Frame.HeaderLength, length));
                    start += Http2Frame.HeaderLength + length;
                }

                if (start == end)
                {
                    start = end = 0;
                }
                else if (start > 0 && buffer.Length - end < Http2Frame.HeaderLength + MaxFrameSize)
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

    private void OnFrame(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case Http2FrameType.Data:
                OnData(flags, streamId, payload);
                break;
            case Http2FrameType.Headers:
                payload = Http2Frame.WithoutPadding(flags, payload);
                if ((flags & Http2FrameFlags.Priority) != 0)
                {
                    payload = payload[5..];
                }

                OnHeaderBlock(flags, streamId, payload);
                break;
            case Http2FrameType.Continuation:
                OnHeaderBlock(flags, streamId, payload);
                break;
            case Http2FrameType.RstStream:
                if (Take(streamId) is { } reset)
                {
                    var error = BinaryPrimitives.ReadUInt32BigEndian(payload);
                    reset.Fail(error == RefusedStream
                        ? new RefusedStreamException(streamId)
                        : new HttpRequestException($"The server reset stream {streamId} (error {error})."));
                }

                break;
            case Http2FrameType.Settings when (flags & Http2FrameFlags.Ack) == 0:
                OnSettings(payload);
                break;
            case Http2FrameType.Ping when (flags & Http2FrameFlags.Ack) == 0:
                lock (_lock)
                {
                    Append(Http2FrameType.Ping, Http2FrameFlags.Ack, 0, payload);
                    TryFlush();
                }

                break;
            case Http2FrameType.GoAway:
                OnGoAway(BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(payload[4..]));
                break;
            case Http2FrameType.WindowUpdate:
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

        stream?.Body.AddRange(Http2Frame.WithoutPadding(flags, payload));
        if ((flags & Http2FrameFlags.EndStream) != 0 && stream is not null)
        {
            Complete(stream);
        }
    }

    private void OnHeaderBlock(byte flags, int streamId, ReadOnlySpan<byte> fragment)
    {
        ReadOnlySpan<byte> block;
        if (_headerBlockStream == 0 && (flags & Http2FrameFlags.EndHeaders) != 0)
        {
            block = fragment;
        }
        else
        {
            _headerBlockStream = streamId;
            _headerBlock.AddRange(fragment);
            if ((flags & Http2FrameFlags.EndHeaders) == 0)
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

        if ((flags & Http2FrameFlags.EndStream) != 0)
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

            Append(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, []);
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

    private void Append(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload) =>
        _written += Http2Frame.Write(Room(Http2Frame.HeaderLength + payload.Length), type, flags, streamId, payload);

    private void AppendWindowUpdate(int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        Append(Http2FrameType.WindowUpdate, 0, 0, payload);
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
