using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// CONTRACT.md section 4's client IP: the socket address, unless the request came from a trusted proxy, then the
/// right-most untrusted <c>X-Forwarded-For</c> entry. Every service that limits by client IP resolves it this way.
/// </summary>
public static class TrustedProxies
{
    public static void Apply(ForwardedHeadersOptions forwarded, IEnumerable<string>? proxies)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        // No limit: walk right to left past every trusted proxy to the right-most untrusted entry.
        forwarded.ForwardLimit = null;
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        foreach (var proxy in proxies ?? [])
        {
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        }
    }
}

/// <summary>Every entry must be an IP address.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class IpAddressListAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is not string[] addresses || addresses.All(a => IPAddress.TryParse(a, out _))
            ? ValidationResult.Success
            : new ValidationResult($"{validationContext.DisplayName} must list IP addresses only.");
}
