using AiMoviez.Edge;
using AiMoviez.Edge.Ballot;
using AiMoviez.Edge.Genres;
using AiMoviez.Edge.Identity;
using AiMoviez.Edge.Infrastructure;
using AiMoviez.Edge.Tallies;
using AiMoviez.Edge.Votes;
using AiMoviez.ServiceDefaults;

var builder = WebApplication.CreateSlimBuilder(args);

var region = builder.AddEdgeDefaults();
builder.AddServiceDefaults("aimoviez-edge-" + region.Name, [EdgeTelemetry.SourceName], [EdgeTelemetry.MeterName]);
builder.Services.AddVoterIdentity();
builder.Services.AddPublicReadLimits(builder.Configuration);
builder.Services.AddRegionServers();
builder.Services.AddCatalogSync();
builder.Services.AddVotes();
builder.Services.AddTallies();
builder.Services.AddBallots();
builder.Services.AddGenreVotes();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAllowedOrigins();
app.UseAuthentication();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapVotesApi();
app.MapBallotApi();
app.MapTalliesApi();
app.MapGenreVoteApi();

app.Run();
