using System.ComponentModel.DataAnnotations;
using System.Text;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AiMoviez.ServiceDefaults;

/// <summary>Configuration section <c>Auth</c>: the HS256 key every service and <c>./aimoviez token</c> share, and the issuer and audience tokens must carry.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HS256 needs at least 256 bits of key.</summary>
    [Required(AllowEmptyStrings = false), StringLength(4096, MinimumLength = 32)]
    public string SigningKey { get; set; } = "";

    [Required(AllowEmptyStrings = false)]
    public string Issuer { get; set; } = "aimoviez-local";

    [Required(AllowEmptyStrings = false)]
    public string Audience { get; set; } = "aimoviez";
}

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;

public static class Auth
{
    /// <summary>
    /// HS256 bearer tokens: signature, issuer, audience and lifetime checked; claims keep their JWT names (<c>sub</c>,
    /// <c>role</c>), so an admin is <c>role=admin</c>. A refused challenge or forbidden call answers the contract's problem.
    /// </summary>
    public static IServiceCollection AddJwtAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateSectionOnStart<AuthOptions, AuthOptionsValidator>(AuthOptions.Section);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<AuthOptions>>((jwt, auth) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Value.Issuer,
                ValidAudience = auth.Value.Audience,
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.Value.SigningKey)),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RoleClaimType = "role",
                NameClaimType = "sub",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            jwt.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    await WriteProblemAsync(context.HttpContext, ErrorCodes.AuthRequired, "A valid bearer token is required.");
                },
                OnForbidden = context => WriteProblemAsync(context.HttpContext, ErrorCodes.Forbidden, "This call needs the admin role."),
            };
        });
        return services;
    }

    private static async Task WriteProblemAsync(HttpContext http, string code, string detail)
    {
        http.Response.StatusCode = Problems.StatusFor(code);
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = http.Response.StatusCode, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
