using Npgsql;

namespace AiMoviez.Contracts.Tests;

/// <summary>The fixtures every integration test relies on start real servers and stop them.</summary>
public sealed class TestStackTests
{
    [Fact]
    public async Task Starts_real_nats_redis_and_postgres_servers()
    {
        await using var stack = await TestStack.StartAsync(regions: ["us-east"], shardCount: 1);

        await using var connection = new NpgsqlConnection(stack.Shards["shard-1"].ConnectionString("votes"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select 41 + 1", connection);
        Assert.Equal(42, (int)(await command.ExecuteScalarAsync())!);
        Assert.NotNull(stack.Nats["us-east"].Pid);
        Assert.NotNull(stack.Redis["us-east"].Pid);
    }
}
