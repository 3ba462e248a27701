using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Identity;

/// <summary>Configuration section <c>Auth</c>: the HS256 key and the issuer and audience tokens must carry.</summary>
public sealed record AuthOptions
{
    public const string Section = "Auth";

    [Required(AllowEmptyStrings = false)]
    [StringLength(4096, MinimumLength = 16)]
    public string SigningKey { get; init; } = "";

    [Required(AllowEmptyStrings = false)]
    public string Issuer { get; init; } = "aimoviez-local";

    [Required(AllowEmptyStrings = false)]
    public string Audience { get; init; } = "aimoviez";
}

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
