using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// <c>[Range(typeof(TimeSpan), min, max)]</c> without the type converter lookup that trimming cannot follow (edge and
/// aggregator are published Native AOT).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : ValidationAttribute
{
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) => value is not TimeSpan span || (span >= Minimum && span <= Maximum);

    public override string FormatErrorMessage(string name) => $"The field {name} must be between {Minimum} and {Maximum}.";
}
