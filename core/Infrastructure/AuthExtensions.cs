using System.Text;
using AiMoviez.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.Tokens;

namespace AiMoviez.Core.Infrastructure;

public static class AuthExtensions
{
    public const string AdminPolicy = "admin";

    /// <summary>HS256 bearer tokens; the `role` claim stays `role` (no inbound mapping) so admins are `role=admin`.</summary>
    public static void AddCoreAuth(this IServiceCollection services, AuthOptions auth)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Issuer,
                ValidAudience = auth.Audience,
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.SigningKey)),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RoleClaimType = "role",
                NameClaimType = "sub",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            options.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    await WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Authentication required",
                        "A valid bearer token is required.", ErrorCodes.AuthRequired);
                },
                OnForbidden = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden",
                    "This call needs the admin role.", ErrorCodes.Forbidden),
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole("admin"));
    }

    private static async Task WriteProblemAsync(HttpContext http, int status, string title, string detail, string code)
    {
        http.Response.StatusCode = status;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
