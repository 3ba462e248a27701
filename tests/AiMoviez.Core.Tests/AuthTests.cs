using System.Net;
using System.Net.Http.Json;

namespace AiMoviez.Core.Tests;

[Collection(CoreCollection.Name)]
public sealed class AuthTests(CoreFixture fixture)
{
    private const string AnyId = "0198a3c4-1111-7000-8000-000000000001";

    public static TheoryData<string, string> AdminRoutes => new()
    {
        { "POST", "/v1/admin/seasons" },
        { "POST", $"/v1/admin/seasons/{AnyId}/activate" },
        { "PATCH", $"/v1/admin/seasons/{AnyId}" },
        { "DELETE", $"/v1/admin/seasons/{AnyId}?confirm=true" },
        { "POST", $"/v1/admin/clips/{AnyId}/approve" },
        { "POST", $"/v1/admin/clips/{AnyId}/reject" },
        { "POST", "/v1/admin/clips/bulk" },
        { "GET", "/v1/admin/clips?status=pending" },
        { "POST", $"/v1/admin/seasons/{AnyId}/slots/1/assign-winner" },
        { "POST", $"/v1/admin/seasons/{AnyId}/slots/1/advance" },
        { "POST", $"/v1/admin/seasons/{AnyId}/slots/1/reset-votes" },
        { "POST", $"/v1/admin/seasons/{AnyId}/slots/1/unlock" },
        { "GET", "/v1/admin/feature-flags/voting_enabled" },
        { "PUT", "/v1/admin/feature-flags/voting_enabled" },
        { "PUT", "/v1/admin/users/u1/ban" },
        { "PUT", "/v1/admin/voters/device_abc/ban" },
        { "GET", "/v1/admin/audit-logs" },
        { "GET", "/v1/admin/pipeline" },
        { "GET", "/v1/admin/genre-votes" },
    };

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task Admin_route_without_token_is_401_auth_required(string method, string path)
    {
        using var response = await fixture.Anonymous.SendAsync(Request(method, path));
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task Admin_route_with_a_bad_token_is_401_auth_required(string method, string path)
    {
        using var forged = fixture.Client(DevTokens.Create(DevTokens.NewSigningKey(), "admin-1", admin: true));
        using var response = await forged.SendAsync(Request(method, path));
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task Admin_route_with_a_user_token_is_403_forbidden(string method, string path)
    {
        using var response = await fixture.User.SendAsync(Request(method, path));
        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Expired_admin_token_is_401()
    {
        using var expired = fixture.Client(DevTokens.Create(fixture.Stack.SigningKey, "admin-1", admin: true,
            lifetime: TimeSpan.FromMinutes(5), now: DateTimeOffset.UtcNow.AddHours(-2)));
        using var response = await expired.GetAsync("/v1/admin/audit-logs");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
    }

    [Fact]
    public async Task Clip_registration_needs_a_token()
    {
        using var response = await fixture.Anonymous.PostAsJsonAsync("/v1/clips", new { title = "x" });
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "AUTH_REQUIRED");
    }

    private static HttpRequestMessage Request(string method, string path) =>
        new(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };
}
