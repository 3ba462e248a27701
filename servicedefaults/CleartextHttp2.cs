using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// HTTP/2 with prior knowledge (RFC 9113 section 3.3) on a service's one cleartext port, beside HTTP/1.1. A reverse proxy
/// (the load generator, CONTRACT section 2) then carries many voters' requests on a connection, where HTTP/1.1 needs a
/// read and a write per request (perf/RESULTS.md). Kestrel 10 picks HTTP/2 on a port that also serves HTTP/1.1 only by
/// TLS's ALPN (dotnet/aspnetcore#56984: recognising the preface came to Kestrel after .NET 10); until then this
/// connection middleware reads a new connection's first bytes and, when they are HTTP/2's client preface, tells Kestrel
/// through its public TLS features that "h2" was negotiated. Browsers' HTTP/1.1 is untouched: its first bytes never match.
/// </summary>
internal static class CleartextHttp2
{
    private static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static IServiceCollection AddCleartextHttp2(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            // Kestrel takes such a connection for TLS, so its scheme is "https"; the request's own :scheme ("http") stands.
            kestrel.AllowAlternateSchemes = true;
            kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Use(next => connection => SelectAsync(connection, next, kestrel.Limits.KeepAliveTimeout)));
        });

    private static async Task SelectAsync(ConnectionContext connection, ConnectionDelegate next, TimeSpan firstBytesTimeout)
    {
        bool isHttp2;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            timeout.CancelAfter(firstBytesTimeout);
            isHttp2 = await StartsWithClientPrefaceAsync(connection.Transport.Input, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived within the keep-alive timeout, as Kestrel would close an idle HTTP/1.1 connection.
            connection.Abort();
            return;
        }

        if (isHttp2)
        {
            connection.Features.Set<ITlsConnectionFeature>(PriorKnowledge.Instance);
            connection.Features.Set<ITlsApplicationProtocolFeature>(PriorKnowledge.Instance);
        }

        await next(connection);
    }

    /// <summary>Reads until the first bytes match the preface or differ from it, and leaves them all for Kestrel.</summary>
    internal static async ValueTask<bool> StartsWithClientPrefaceAsync(PipeReader input, CancellationToken cancellationToken)
    {
        SequencePosition? examined = null;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var (matches, complete) = Compare(buffer);
            if (matches && !complete && !result.IsCompleted && !result.IsCanceled)
            {
                // A prefix of the preface: wait for more bytes, which makes what is here examined.
                examined = buffer.End;
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            // Examined cannot move back, and nothing past it may count as examined, or Kestrel's first read would wait.
            input.AdvanceTo(buffer.Start, examined ?? buffer.Start);
            return matches && complete;
        }
    }

    private static (bool Matches, bool Complete) Compare(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, ClientPreface.Length);
        Span<byte> first = stackalloc byte[length];
        buffer.Slice(0, length).CopyTo(first);
        return (first.SequenceEqual(ClientPreface[..length]), length == ClientPreface.Length);
    }

    /// <summary>What Kestrel reads to choose HTTP/2: "h2", as ALPN would have negotiated; no certificate.</summary>
    private sealed class PriorKnowledge : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly PriorKnowledge Instance = new();

        private static readonly ReadOnlyMemory<byte> Http2Id = "h2"u8.ToArray();

        public ReadOnlyMemory<byte> ApplicationProtocol => Http2Id;

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set => throw new NotSupportedException("A cleartext HTTP/2 connection has no client certificate.");
        }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
