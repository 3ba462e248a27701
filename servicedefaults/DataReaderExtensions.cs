using System.Data.Common;

namespace AiMoviez.ServiceDefaults;

/// <summary>Columns read by name, so a query's column order can change without breaking its reader.</summary>
public static class DataReaderExtensions
{
    /// <summary>A column by name; a nullable value column reads as <c>Get&lt;Guid?&gt;</c>.</summary>
    public static T Get<T>(this DbDataReader reader, string column) => reader.GetFieldValue<T>(reader.GetOrdinal(column));

    /// <summary>A nullable reference column (text) by name.</summary>
    public static T? GetOrNull<T>(this DbDataReader reader, string column) where T : class
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
    }
}
