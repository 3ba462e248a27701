using AiMoviez.Aggregator;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddAggregator();

var app = builder.Build();
app.MapAggregatorApi();
app.Run();
