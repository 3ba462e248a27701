using System.IO.Pipelines;
using System.Text;
using AiMoviez.ServiceDefaults;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// ServiceDefaults' choice between HTTP/2 with prior knowledge and HTTP/1.1 on a service's one port, from a new
/// connection's first bytes; whatever it reads stays in the pipe for Kestrel.
/// </summary>
public sealed class CleartextHttp2Tests
{
    private const string Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    [Theory]
    [InlineData(Preface + "\0\0\0\x04", true)]
    [InlineData(Preface, true)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: edge\r\n\r\n", false)]
    [InlineData("POST /v1/votes HTTP/1.1\r\n", false)]
    [InlineData("PRI * HTTP/1.1\r\n\r\n", false)]
    public async Task The_first_bytes_decide_and_stay_for_Kestrel(string firstBytes, bool isHttp2)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(firstBytes));

        Assert.Equal(isHttp2, await CleartextHttp2.StartsWithClientPrefaceAsync(pipe.Reader, CancellationToken.None));
        Assert.Equal(firstBytes, await ReadAllWrittenAsync(pipe));
    }

    /// <summary>An HTTP/1.1 request's first byte alone ("P" of POST) may still begin the preface.</summary>
    [Theory]
    [InlineData("PRI * HT", "TP/2.0\r\n\r\nSM\r\n\r\n", true)]
    [InlineData("P", "OST /v1/votes HTTP/1.1\r\n", false)]
    public async Task First_bytes_that_may_begin_the_preface_wait_for_the_next(string first, string rest, bool isHttp2)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(first));
        var choosing = CleartextHttp2.StartsWithClientPrefaceAsync(pipe.Reader, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(choosing.IsCompleted);

        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(rest));
        Assert.Equal(isHttp2, await choosing);
        Assert.Equal(first + rest, await ReadAllWrittenAsync(pipe));
    }

    [Fact]
    public async Task A_connection_closed_within_the_preface_is_not_HTTP2()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("PRI * HTTP/2.0"u8.ToArray());
        await pipe.Writer.CompleteAsync();

        Assert.False(await CleartextHttp2.StartsWithClientPrefaceAsync(pipe.Reader, CancellationToken.None));
    }

    /// <summary>What the next reader (Kestrel) finds: every byte written so far, none consumed.</summary>
    private static async Task<string> ReadAllWrittenAsync(Pipe pipe)
    {
        await pipe.Writer.CompleteAsync();
        return Encoding.ASCII.GetString((await pipe.Reader.ReadAsync()).Buffer);
    }
}
