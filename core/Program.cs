using AiMoviez.Core;
using AiMoviez.Core.Audit;
using AiMoviez.Core.Bans;
using AiMoviez.Core.Captcha;
using AiMoviez.Core.Catalog;
using AiMoviez.Core.Clips;
using AiMoviez.Core.Erasure;
using AiMoviez.Core.FeatureFlags;
using AiMoviez.Core.FlaggedVotes;
using AiMoviez.Core.GenreVotes;
using AiMoviez.Core.Infrastructure;
using AiMoviez.Core.Leaderboards;
using AiMoviez.Core.Me;
using AiMoviez.Core.Moderation;
using AiMoviez.Core.Pipeline;
using AiMoviez.Core.Seasons;
using AiMoviez.Core.Slots;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

var topology = builder.AddCoreDefaults();
builder.AddServiceDefaults("aimoviez-core", ["Npgsql"], ["Npgsql"]);
builder.Services.AddCoreAuth();
builder.Services.AddPublicReadLimits(builder.Configuration);
builder.Services.AddCatalogData(topology, builder.Configuration);
builder.Services.AddSlotLifecycle(topology);
builder.Services.AddLeaderboards();
builder.Services.AddErasure(topology);
builder.Services.AddFlaggedVotes();

var app = builder.Build();
await app.MigrateCatalogAsync();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAllowedOrigins();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapScalarApiReference();
app.MapCatalogApi();
app.MapDevCaptchaApi(app.Services.GetRequiredService<IOptions<DevCaptchaOptions>>().Value);

var v1 = app.MapGroup("/v1");
v1.MapSeasonsApi().MapClipsApi().MapFeaturesApi().MapLeaderboardsApi().MapMeApi();

var admin = v1.MapGroup("/admin").RequireAuthorization(AuthExtensions.AdminPolicy).WithTags("Admin");
admin.MapSeasonAdminApi()
    .MapSlotAdminApi()
    .MapModerationApi()
    .MapFeatureFlagAdminApi()
    .MapBansApi()
    .MapAuditLogsApi()
    .MapErasureAdminApi()
    .MapFlaggedVotesApi()
    .MapPipelineApi()
    .MapGenreVotesApi();

app.Run();
