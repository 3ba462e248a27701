using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Identity;

/// <summary>Configuration section <c>Auth</c>: the HS256 key and the issuer and audience tokens must carry.</summary>
public sealed record AuthOptions(
    [property: Required(AllowEmptyStrings = false), StringLength(4096, MinimumLength = 16)] string SigningKey = "",
    [property: Required(AllowEmptyStrings = false)] string Issuer = "aimoviez-local",
    [property: Required(AllowEmptyStrings = false)] string Audience = "aimoviez")
{
    public const string Section = "Auth";
}

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
