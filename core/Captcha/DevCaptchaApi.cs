using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiMoviez.Core.Captcha;

/// <summary>
/// Configuration section <c>DevCaptcha</c>: the local stack's captcha verifier. Off unless <c>./aimoviez up</c> turns
/// it on; no other deployment sets it.
/// </summary>
internal sealed class DevCaptchaOptions : IValidatableObject
{
    public const string Section = "DevCaptcha";

    public bool Enabled { get; set; }

    /// <summary>The secret the edges send (their Captcha:Secret); required when enabled.</summary>
    public string? Secret { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrEmpty(Secret))
        {
            yield return new ValidationResult("A secret is required when the development verifier is enabled.", [nameof(Secret)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class DevCaptchaOptionsValidator : IValidateOptions<DevCaptchaOptions>;

internal sealed record SiteVerifyAnswer(
    bool Success,
    [property: JsonPropertyName("error-codes")] IReadOnlyList<string> ErrorCodes);

/// <summary>
/// A siteverify endpoint speaking the hCaptcha / Turnstile protocol (form POST <c>secret</c>, <c>response</c>,
/// <c>remoteip</c>) that accepts exactly the tokens starting with <see cref="PassPrefix"/>, so the local stack can run
/// with captcha required and no provider. The edges remember used tokens, so a dev token counts for one vote as a
/// real one does.
/// </summary>
internal static class DevCaptchaApi
{
    public const string Path = "/internal/dev-captcha/siteverify";
    public const string PassPrefix = "dev-pass";

    public static IEndpointRouteBuilder MapDevCaptchaApi(this IEndpointRouteBuilder app, DevCaptchaOptions options)
    {
        if (options.Enabled)
        {
            app.MapPost(Path, (HttpRequest request) => VerifyAsync(request, options.Secret!)).ExcludeFromDescription();
        }

        return app;
    }

    private static async Task<Ok<SiteVerifyAnswer>> VerifyAsync(HttpRequest request, string secret)
    {
        if (!request.HasFormContentType)
        {
            return TypedResults.Ok(new SiteVerifyAnswer(false, ["bad-request"]));
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form["secret"].ToString() != secret)
        {
            return TypedResults.Ok(new SiteVerifyAnswer(false, ["invalid-input-secret"]));
        }

        return form["response"].ToString().StartsWith(PassPrefix, StringComparison.Ordinal)
            ? TypedResults.Ok(new SiteVerifyAnswer(true, []))
            : TypedResults.Ok(new SiteVerifyAnswer(false, ["invalid-input-response"]));
    }
}
