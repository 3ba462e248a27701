using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// The one options convention: a class with settable properties (the AOT binder cannot set <c>init</c> ones) bound
/// from its section at the call site (where the source-generated binder sees the type), checked at start by its
/// source-generated <c>[OptionsValidator]</c>, and a failure names the section and the member.
/// </summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<TOptions> ValidateSectionOnStart<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions, TValidator>(this OptionsBuilder<TOptions> builder, string section)
        where TOptions : class
        where TValidator : IValidateOptions<TOptions>, new()
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new SectionValidator<TOptions>(section, new TValidator()));
        return builder.ValidateOnStart();
    }

    private sealed class SectionValidator<TOptions>(string section, IValidateOptions<TOptions> validator) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var result = validator.Validate(name, options);
            return result.Failed ? ValidateOptionsResult.Fail(result.Failures.Select(f => $"section {section}: {f}")) : result;
        }
    }
}
