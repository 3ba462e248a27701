using System.Diagnostics;

namespace AiMoviez.ServiceDefaults;

public static class Spans
{
    /// <summary>Ends a span, marked as failed when <paramref name="error"/> is set; nothing when it was not sampled.</summary>
    public static void End(Activity? span, Exception? error = null)
    {
        if (span is null)
        {
            return;
        }

        if (error is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, error.Message);
            span.SetTag("error.type", error.GetType().FullName);
        }

        span.Dispose();
    }
}
