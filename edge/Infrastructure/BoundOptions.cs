using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>
/// Options records with <c>init</c> properties: the AOT configuration binder cannot set those on an existing
/// instance, so the instance is created by binding (<c>Get&lt;T&gt;</c>), then validated at start as usual.
/// </summary>
public static class BoundOptions
{
    public static IServiceCollection AddBoundOptions<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(this IServiceCollection services, Func<TOptions> bind)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddSingleton<IOptionsFactory<TOptions>>(sp => new Factory<TOptions>(bind,
            sp.GetServices<IConfigureOptions<TOptions>>(), sp.GetServices<IPostConfigureOptions<TOptions>>(),
            sp.GetServices<IValidateOptions<TOptions>>()));
        return services;
    }

    private sealed class Factory<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        Func<TOptions> bind,
        IEnumerable<IConfigureOptions<TOptions>> setups,
        IEnumerable<IPostConfigureOptions<TOptions>> postConfigures,
        IEnumerable<IValidateOptions<TOptions>> validations) : OptionsFactory<TOptions>(setups, postConfigures, validations)
        where TOptions : class
    {
        protected override TOptions CreateInstance(string name) => bind();
    }
}
