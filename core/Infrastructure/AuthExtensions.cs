namespace AiMoviez.Core.Infrastructure;

internal static class AuthExtensions
{
    public const string AdminPolicy = "admin";

    /// <summary>Bearer tokens (ServiceDefaults) and the admin policy: a token with <c>role=admin</c>.</summary>
    public static IServiceCollection AddCoreAuth(this IServiceCollection services)
    {
        services.AddJwtAuthentication();
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole("admin"));
        return services;
    }
}
