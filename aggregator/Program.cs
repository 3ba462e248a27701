using AiMoviez.Aggregator;

var builder = WebApplication.CreateSlimBuilder(args);

var topology = builder.AddAggregatorDefaults();
// Npgsql's own spans (each command of a shard transaction) and meter, without Npgsql.OpenTelemetry, whose AddNpgsql
// only names the same source and meter.
builder.AddServiceDefaults("aimoviez-aggregator", [AggregatorTracing.SourceName, "Npgsql"], [AggregatorMetrics.MeterName, "Npgsql"]);
builder.Services.AddRegionsAndShards(topology, builder.Configuration);
builder.Services.AddIngest();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();
app.MapAggregatorApi();

app.Run();
