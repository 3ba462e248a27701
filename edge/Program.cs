using AiMoviez.Edge;

var builder = WebApplication.CreateSlimBuilder(args);

builder.AddEdgeServices();

var app = builder.Build();

app.MapEdgeEndpoints();

app.Run();
