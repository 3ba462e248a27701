using System.Text;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.ServiceDefaults;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AiMoviez.Edge.Identity;

public static class IdentityExtensions
{
    /// <summary>HS256 bearer tokens (signature, issuer, audience, lifetime checked) and trusted-proxy forwarding.</summary>
    public static IServiceCollection AddVoterIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBoundOptions<AuthOptions, AuthOptionsValidator>(
            () => configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions());

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.Value.SigningKey)),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<EdgeOptions>>((forwarded, edge) =>
            TrustedProxies.Apply(forwarded, edge.Value.TrustedProxies));
        return services;
    }
}
