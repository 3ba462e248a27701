using System.Security.Claims;

namespace AiMoviez.Core.Audit;

/// <summary>What one admin call did; written in the transaction of the change.</summary>
internal sealed record AuditEntry(string Action, string ResourceType, string ResourceId, string Actor, IReadOnlyDictionary<string, object?>? Details = null)
{
    public static AuditEntry For(ClaimsPrincipal admin, string action, string resourceType, object resourceId, IReadOnlyDictionary<string, object?>? details = null) =>
        new(action, resourceType, Convert.ToString(resourceId, System.Globalization.CultureInfo.InvariantCulture) ?? "", admin.Subject(), details);
}

internal static class ClaimsPrincipalExtensions
{
    public static string Subject(this ClaimsPrincipal user) => user.FindFirstValue("sub") ?? "unknown";
}
