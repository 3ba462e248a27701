namespace AiMoviez.Edge.Identity;

internal static class IdentityExtensions
{
    /// <summary>Bearer tokens (a signed-in voter is <c>user_&lt;sub&gt;</c>) and trusted proxies (the client IP of a device voter).</summary>
    public static IServiceCollection AddVoterIdentity(this IServiceCollection services)
    {
        services.AddJwtAuthentication();
        services.AddTrustedProxies();
        return services;
    }
}
