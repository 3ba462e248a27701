using System.Net;
using System.Text;
using AiMoviez.Contracts;
using CsCheck;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// Vote requests built from every kind of field value, order, extra member, size, damage and Idempotency-Key length:
/// each is answered as CONTRACT.md says (202, or problem+json with the code for its first fault), counts once in the
/// voter's window, and a refused one leaves nothing behind: no message, no vote on the clip.
/// </summary>
[Collection(EdgeCollection.Name)]
public sealed class VoteInputPropertyTests(EdgeStack stack)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <see cref="Clip"/>: 0 absent, 1 null, 2 a number, 3 an object, 4 not a UUID, 5 the open clip, 6 the same as 32
    /// upper-case hex digits, 7 no clip's id, 8 a clip not votable, 9 a clip whose voting closed. <see cref="Type"/>: 0
    /// absent, 1 null, 2-4 standard, super, mega, 5 unknown, 6 a number, 7 a known type in another case. <see cref="Extra"/>:
    /// 0 none, 1 a string member, 2 a nested member, 3 padding past the body limit. <see cref="Idempotency"/>: no key, a
    /// short one, 128 characters, 129. <see cref="Damage"/>: 7 cut in half, 8 a stray brace after it, 9 inside an array.
    /// </summary>
    private readonly record struct Request(int Clip, int Type, int Extra, bool Reversed, int Idempotency, int Damage);

    private static readonly Gen<Request> Requests = Gen.Select(
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 7], Gen.Int[0, 3]),
        Gen.Select(Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 9]),
        (a, b) => new Request(a.Item1, a.Item2, a.Item3, b.Item1, b.Item2, b.Item3));

    private Guid OpenClip => stack.Season.Clips[11].Id;

    [Fact]
    public async Task Every_vote_request_is_answered_by_its_first_fault_and_a_refused_one_leaves_nothing()
    {
        await Requests.SampleAsync(async request =>
        {
            var browser = EdgeStack.NewBrowser();
            var body = Body(request);
            var (status, code) = Expected(request, Encoding.UTF8.GetByteCount(body));
            var message = stack.Request(HttpMethod.Post, "/v1/votes", browser, new StringContent(body, Encoding.UTF8, "application/json"));
            if (request.Idempotency > 0)
            {
                message.Headers.Add("Idempotency-Key", request.Idempotency == 1 ? "key-" + Guid.NewGuid() : new string('k', 127 + request.Idempotency - 1));
            }

            using var response = await stack.Proxied.SendAsync(message);
            if (code is null)
            {
                await response.AssertAcceptedAsync();
            }
            else
            {
                await response.AssertProblemAsync(status, code);
            }

            Assert.Equal((EdgeStack.VoterLimit - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));

            // The voter's next vote on the open clip: refused only when this one took it; else the voter's only message.
            using var next = await stack.VoteAsync(browser, OpenClip);
            if (code is null)
            {
                await next.AssertProblemAsync(HttpStatusCode.Conflict, ErrorCodes.AlreadyVoted);
                return;
            }

            var voteId = (await next.AssertAcceptedAsync()).GetProperty("voteId").GetGuid();
            var cast = await Eventually.UntilAsync(() => Task.FromResult(stack.Casts.GetValueOrDefault(voteId)), c => c is not null, Soon, "the next vote's VoteCast");
            Assert.Single(stack.Casts.Values, c => c.VoterKey == cast!.VoterKey);
        }, iter: 150, print: r => r.ToString());
    }

    private string Body(Request r)
    {
        var members = new List<string>();
        var clip = r.Clip switch
        {
            1 => "null",
            2 => "42",
            3 => "{}",
            4 => "\"abc\"",
            5 => $"\"{OpenClip}\"",
            6 => $"\"{OpenClip.ToString("N").ToUpperInvariant()}\"",
            7 => $"\"{Guid.NewGuid()}\"",
            8 => $"\"{stack.Season.NotVotableClipIds[0]}\"",
            9 => $"\"{stack.ClosedSeason.Clips[0].Id}\"",
            _ => null,
        };
        if (clip is not null)
        {
            members.Add("\"clipId\": " + clip);
        }

        var type = r.Type switch { 1 => "null", 2 => "\"standard\"", 3 => "\"super\"", 4 => "\"mega\"", 5 => "\"giga\"", 6 => "3", 7 => "\"Mega\"", _ => null };
        if (type is not null)
        {
            members.Add("\"voteType\": " + type);
        }

        members.Add(r.Extra switch
        {
            1 => "\"note\": \"hello\"",
            2 => "\"note\": [1, {\"a\": null, \"b\": [true, 2.5e3]}]",
            3 => "\"note\": \"" + new string('x', 1100) + "\"",
            _ => "",
        });
        if (r.Reversed)
        {
            members.Reverse();
        }

        var json = "{" + string.Join(", ", members.Where(m => m.Length > 0)) + "}";
        return r.Damage switch { 7 => json[..(json.Length / 2)], 8 => json + "}", 9 => "[" + json + "]", _ => json };
    }

    /// <summary>The contract's answer: the first fault in the order the edge reads a request (size, JSON, fields, key, clip).</summary>
    private static (HttpStatusCode Status, string? Code) Expected(Request r, int bytes) =>
        bytes > 1024 ? (HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge)
        : r.Damage >= 7 || r.Clip is 2 or 3 || r.Type == 6 ? (HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest)
        : r.Clip is 0 or 1 or 4 || r.Type is 5 or 7 || r.Idempotency == 3 ? (HttpStatusCode.BadRequest, ErrorCodes.InvalidRequest)
        : r.Clip == 7 ? (HttpStatusCode.NotFound, ErrorCodes.ClipNotFound)
        : r.Clip == 8 ? (HttpStatusCode.UnprocessableEntity, ErrorCodes.ClipNotVotable)
        : r.Clip == 9 ? (HttpStatusCode.UnprocessableEntity, ErrorCodes.VotingClosed)
        : (HttpStatusCode.Accepted, null);
}
