using AiMoviez.Core;

var builder = WebApplication.CreateBuilder(args);
builder.AddCoreServices();

var app = builder.Build();
await app.MigrateCatalogAsync();
app.MapCoreEndpoints();

app.Run();

