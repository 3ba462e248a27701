using System.Net;
using AiMoviez.Contracts;

namespace AiMoviez.Edge.Tests;

/// <summary>
/// The flag require_captcha_voting, checked with <see cref="FakeCore"/>'s siteverify (tokens starting with dev-pass
/// pass, as with the local stack's verifier).
/// </summary>
[Collection(EdgeCollection.Name)]
public sealed class CaptchaTests(EdgeStack stack)
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);

    private Guid Clip(int i) => stack.Season.Clips[i].Id;

    [Fact]
    public async Task With_captcha_required_a_vote_without_a_token_is_403_and_counts_in_the_rate_window()
    {
        await RequireCaptchaAsync();
        try
        {
            var browser = EdgeStack.NewBrowser();
            var refused = await stack.VoteAsync(browser, Clip(0));
            await refused.AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.CaptchaRequired);
            Assert.Equal((EdgeStack.VoterLimit - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                refused.Header("X-RateLimit-Remaining"));
            await (await stack.VoteAsync(browser, Clip(0), captchaToken: "wrong-token"))
                .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.CaptchaRequired);
            Assert.Contains(stack.Core.CaptchaChecks, c => c.Token == "wrong-token" && c.RemoteIp == browser.Ip);
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task A_dev_pass_token_is_good_for_one_vote_and_refused_when_used_again()
    {
        await RequireCaptchaAsync();
        try
        {
            var browser = EdgeStack.NewBrowser();
            var token = "dev-pass-" + Guid.NewGuid();
            var accepted = await (await stack.VoteAsync(browser, Clip(0), captchaToken: token)).AssertAcceptedAsync();
            Assert.Equal(VoteStatuses.Accepted, accepted.GetProperty("status").GetString());

            await (await stack.VoteAsync(browser, Clip(1), captchaToken: token))
                .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.CaptchaRequired);
            await (await stack.VoteAsync(EdgeStack.NewBrowser(), Clip(1), captchaToken: token))
                .AssertProblemAsync(HttpStatusCode.Forbidden, ErrorCodes.CaptchaRequired);
            await (await stack.VoteAsync(browser, Clip(1), captchaToken: "dev-pass-" + Guid.NewGuid())).AssertAcceptedAsync();
        }
        finally
        {
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task With_the_verifier_down_a_vote_is_503_and_nothing_is_recorded()
    {
        await RequireCaptchaAsync();
        stack.Core.CaptchaDown = true;
        try
        {
            var browser = EdgeStack.NewBrowser();
            await (await stack.VoteAsync(browser, Clip(2), captchaToken: "dev-pass-" + Guid.NewGuid()))
                .AssertProblemAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.DependencyUnavailable);
            stack.Core.CaptchaDown = false;
            await (await stack.VoteAsync(browser, Clip(2), captchaToken: "dev-pass-" + Guid.NewGuid())).AssertAcceptedAsync();
        }
        finally
        {
            stack.Core.CaptchaDown = false;
            await RestoreAsync();
        }
    }

    [Fact]
    public async Task With_captcha_not_required_a_vote_needs_no_token_and_the_verifier_is_not_called()
    {
        var checks = stack.Core.CaptchaChecks.Count;
        await (await stack.VoteAsync(EdgeStack.NewBrowser(), Clip(3))).AssertAcceptedAsync();
        await (await stack.VoteAsync(EdgeStack.NewBrowser(), Clip(3), captchaToken: "anything")).AssertAcceptedAsync();
        Assert.Equal(checks, stack.Core.CaptchaChecks.Count);
    }

    /// <summary>Turns the flag on and waits until the edge refuses a vote without a token.</summary>
    private async Task RequireCaptchaAsync()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = s.Flags with { RequireCaptchaVoting = true } });
        // A new voter per probe: refused votes count in their voter's window.
        await Eventually.UntilAsync(() => stack.VoteAsync(EdgeStack.NewBrowser(), Clip(4)),
            r => r.StatusCode == HttpStatusCode.Forbidden, Propagation, "captcha to be required");
    }

    private async Task RestoreAsync()
    {
        await stack.Core.UpdateAsync(s => s with { Flags = new FeatureFlagSet() });
        await Eventually.UntilAsync(() => stack.VoteAsync(EdgeStack.NewBrowser(), Clip(5)),
            r => r.StatusCode == HttpStatusCode.Accepted, Propagation, "captcha to be no longer required");
    }
}
