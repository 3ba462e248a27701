using System.Net;
using AiMoviez.Edge.Identity;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;

namespace AiMoviez.Perf.Ingest;

/// <summary>
/// The edge's in-process steps per vote that its profile under the bench shows apart from Kestrel's and the clients':
/// the anonymous voter key of a browser's request (<see cref="VoterFingerprint"/>), from the headers a desktop Chrome
/// sends.
/// </summary>
[MemoryDiagnoser]
public class EdgeStepBenchmarks
{
    private readonly DefaultHttpContext _request = new();

    [GlobalSetup]
    public void Setup()
    {
        _request.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        var headers = _request.Request.Headers;
        headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        headers.AcceptLanguage = "en-US,en;q=0.9";
        headers["Sec-CH-UA"] = "\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"";
        headers["Sec-CH-UA-Platform"] = "\"Linux\"";
        headers["Sec-CH-UA-Mobile"] = "?0";
        headers.AcceptEncoding = "gzip, deflate, br, zstd";
    }

    [Benchmark]
    public string VoterKey() => VoterFingerprint.Compute(_request);
}
