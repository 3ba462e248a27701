using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// CONTRACT.md section 4's client IP: the socket address, unless the request came from a trusted proxy, then the
/// right-most untrusted <c>X-Forwarded-For</c> entry. Every service that limits by client IP resolves it this way.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Forwarded headers believed from the proxies of configuration section <c>Proxies</c> only.</summary>
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateSectionOnStart<ProxyOptions, ProxyOptionsValidator>(ProxyOptions.Section);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) => Apply(forwarded, proxies.Value.Trusted));
        return services;
    }

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

/// <summary>Configuration section <c>Proxies</c>: the reverse proxies whose X-Forwarded-For is believed.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxies";

    [IpAddressList]
    public string[] Trusted { get; set; } = [];
}

[OptionsValidator]
public sealed partial class ProxyOptionsValidator : IValidateOptions<ProxyOptions>;

/// <summary>Every entry must be an IP address.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class IpAddressListAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is not string[] addresses || addresses.All(a => IPAddress.TryParse(a, out _))
            ? ValidationResult.Success
            : new ValidationResult($"{validationContext.DisplayName} must list IP addresses only.");
}
