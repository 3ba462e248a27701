namespace AiMoviez.Perf.Load;

/// <summary>
/// While open on a thread, the requests that thread writes wait and leave at its end, one send per connection: the
/// requests one tick of the load makes due reach a server in one read, as a proxy's writes would, not one read each.
/// </summary>
public readonly struct WriteBatch : IDisposable
{
    [ThreadStatic]
    private static List<Http2Connection>? t_deferred;
    [ThreadStatic]
    private static int t_depth;

    /// <summary>Opens a batch on this thread; nothing may await inside it, or its writes leave on its thread's next batch.</summary>
    public static WriteBatch Open()
    {
        t_deferred ??= [];
        t_depth++;
        return default;
    }

    public void Dispose()
    {
        if (--t_depth > 0 || t_deferred is not { } deferred)
        {
            return;
        }

        foreach (var connection in deferred)
        {
            connection.FlushDeferred();
        }

        deferred.Clear();
    }

    /// <summary>True while a batch is open on this thread.</summary>
    public static bool IsOpen => t_depth > 0;

    /// <summary>True when a batch is open on this thread, which will send the connection's frames at its end.</summary>
    internal static bool Defer(Http2Connection connection)
    {
        if (!IsOpen)
        {
            return false;
        }

        if (!t_deferred!.Contains(connection))
        {
            t_deferred.Add(connection);
        }

        return true;
    }
}
