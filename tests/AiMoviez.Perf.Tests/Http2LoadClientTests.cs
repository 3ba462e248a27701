using System.Net;
using System.Net.Sockets;
using System.Text;
using AiMoviez.Perf.Load;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiMoviez.Perf.Tests;

/// <summary>The load's HTTP/2 client against a real Kestrel speaking HTTP/2 with prior knowledge, as the services do.</summary>
public sealed class Http2LoadClientTests : IAsyncLifetime
{
    private static readonly IPAddress Loopback = IPAddress.Parse("127.0.0.1");
    private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _server = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        _server = builder.Build();
        _server.MapGet("/healthz", () => "ok");
        _server.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Text($"{request.Headers["x-forwarded-for"]}|{request.Headers.UserAgent}|{request.ContentType}|{body}", statusCode: 202);
        });
        _server.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        // A body over many DATA frames, and a header too large for one frame, so it continues in CONTINUATION frames.
        _server.MapGet("/large", (HttpResponse response) =>
        {
            response.Headers["x-large"] = new string('h', 40_000);
            return Results.Bytes(Large, "application/octet-stream");
        });
        _server.MapGet("/slow", async (HttpContext context) =>
        {
            context.RequestAborted.Register(() => _slowAborted.TrySetResult());
            _slowStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await _server.StartAsync();
        var bound = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _address = new Uri(bound);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static byte[] Large { get; } = [.. Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 7))];

    private static Http2LoadClient NewClient(TimeSpan? timeout = null) =>
        new(Loopback, timeout ?? TimeSpan.FromSeconds(30), host => host == "127.0.0.1");

    [Fact]
    public async Task A_post_carries_its_headers_and_body_and_reads_the_status_and_body()
    {
        using var client = NewClient();
        var request = new LoadRequest(HttpMethod.Post, "/echo", [("x-forwarded-for", "10.0.0.7"), ("user-agent", "load/1")], """{"clipId":1}"""u8.ToArray());

        var response = await client.SendAsync(_address, request, CancellationToken.None);

        Assert.Equal(202, response.Status);
        Assert.Equal("""10.0.0.7|load/1|application/json|{"clipId":1}""", Encoding.UTF8.GetString(response.Body));
    }

    [Theory]
    [InlineData(200)] // Statuses in HPACK's static table come indexed, the others as literals.
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(503)]
    public async Task Reads_every_status_however_it_is_encoded(int status)
    {
        using var client = NewClient();
        var response = await client.SendAsync(_address, new LoadRequest(HttpMethod.Get, $"/status/{status}", []), CancellationToken.None);
        Assert.Equal(status, response.Status);
    }

    [Fact]
    public async Task A_large_response_over_many_frames_arrives_whole()
    {
        using var client = NewClient();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/large", []), CancellationToken.None);
            Assert.Equal(200, response.Status);
            Assert.Equal(Large, response.Body);
        }
    }

    [Fact]
    public async Task More_requests_in_flight_than_a_connection_takes_open_more_connections()
    {
        // Kestrel takes 100 streams per connection; 1,000 at once need ten.
        using var client = NewClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(_ =>
            client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None)));

        Assert.All(responses, r => Assert.Equal((200, "ok"), (r.Status, Encoding.UTF8.GetString(r.Body))));
    }

    [Fact]
    public async Task A_request_past_its_timeout_fails_and_the_connection_goes_on()
    {
        using var client = NewClient(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/slow", []), CancellationToken.None));
        // The stream was reset, so the server stops waiting too.
        await _slowAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var next = await client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None);
        Assert.Equal(200, next.Status);
    }

    [Fact]
    public async Task A_cancelled_request_fails_as_cancelled_and_resets_its_stream()
    {
        using var client = NewClient();
        using var cancellation = new CancellationTokenSource();

        var slow = client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/slow", []), cancellation.Token);
        await _slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancellation.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        Assert.Equal(cancellation.Token, cancelled.CancellationToken);
        await _slowAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_server_that_goes_away_fails_the_requests_in_flight_as_connection_errors()
    {
        using var client = NewClient();
        var slow = client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/slow", []), CancellationToken.None);
        await _slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await _server.StopAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(200)).Token);

        await Assert.ThrowsAsync<HttpRequestException>(() => slow);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None));
    }

    [Fact]
    public async Task Requests_written_in_a_batch_leave_at_its_end()
    {
        // A bare TCP server that answers the first stream, so what the client writes, and when, can be read byte by byte.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(Loopback, 0));
        listener.Listen();
        var server = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
        using var client = NewClient();
        var first = client.SendAsync(server, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None);
        using var accepted = await listener.AcceptAsync();
        await ReadFramesAsync(accepted, Http2HeadersFrame, 1);
        // HEADERS, END_STREAM | END_HEADERS, stream 1: ":status: 200" (static index 8).
        await accepted.SendAsync(new byte[] { 0, 0, 1, Http2HeadersFrame, 0x5, 0, 0, 0, 1, 0x88 });
        Assert.Equal(200, (await first).Status);

        using (WriteBatch.Open())
        {
            for (var i = 0; i < 5; i++)
            {
                _ = client.SendAsync(server, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None);
            }

            // Outside a batch each write reaches the loopback socket before SendAsync returns; inside, none has left.
            Assert.Equal(0, accepted.Available);
        }

        await ReadFramesAsync(accepted, Http2HeadersFrame, 5);
    }

    private const byte Http2HeadersFrame = 0x1;

    /// <summary>Reads frames (after the client's preface) until <paramref name="count"/> of <paramref name="type"/> came, within 10 s.</summary>
    private static async Task ReadFramesAsync(Socket socket, byte type, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        var seen = 0;
        while (seen < count)
        {
            var read = await socket.ReceiveAsync(chunk, deadline.Token);
            Assert.NotEqual(0, read);
            buffer.AddRange(chunk.AsSpan(0, read));
            if (buffer.Count >= preface.Length && buffer.Take(preface.Length).SequenceEqual(preface))
            {
                buffer.RemoveRange(0, preface.Length);
            }

            while (buffer.Count >= 9 && buffer.Count >= 9 + (buffer[0] << 16 | buffer[1] << 8 | buffer[2]))
            {
                var length = buffer[0] << 16 | buffer[1] << 8 | buffer[2];
                seen += buffer[3] == type ? 1 : 0;
                buffer.RemoveRange(0, 9 + length);
            }
        }
    }

    [Fact]
    public async Task Refuses_a_host_it_is_not_allowed_to_reach()
    {
        using var client = new Http2LoadClient(Loopback, TimeSpan.FromSeconds(5), _ => false);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.SendAsync(_address, new LoadRequest(HttpMethod.Get, "/healthz", []), CancellationToken.None));
        Assert.Contains("Refusing", refused.Message, StringComparison.Ordinal);
    }
}
