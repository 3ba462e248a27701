using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AiMoviez.Edge.Infrastructure;

/// <summary>Reads a small JSON body, turning every way it can be wrong into a problem code and detail.</summary>
internal static class JsonBody
{
    public sealed record Read<T>(T? Value, string? Code, string? Detail);

    public static async Task<Read<T>> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken);
            return value is null
                ? new Read<T>(null, Contracts.ErrorCodes.InvalidRequest, "The body must be a JSON object.")
                : new Read<T>(value, null, null);
        }
        catch (JsonException e)
        {
            return new Read<T>(null, Contracts.ErrorCodes.InvalidRequest, "The body is not valid JSON for this request: " + e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new Read<T>(null, Contracts.ErrorCodes.PayloadTooLarge, "The body may be at most the configured size.");
        }
    }
}
