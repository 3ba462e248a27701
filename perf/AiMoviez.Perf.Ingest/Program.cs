using System.Globalization;
using AiMoviez.Perf.Ingest;

// Ingest benchmark: N votes pre-published into a region's vote stream, drained by the real aggregator process into a
// shard, once with every vote on one hot clip and once spread over many clips; next to a raw binary COPY of the same
// rows into an identical votes table. Starts and stops its own nats-server and PostgreSQL.
var votes = 1_000_000;
var clips = 1_000;
for (var i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--votes":
            votes = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--clips":
            clips = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
    }
}

await IngestBenchmark.RunAsync(votes, clips);
