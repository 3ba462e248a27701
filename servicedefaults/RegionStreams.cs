using AiMoviez.Contracts;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AiMoviez.ServiceDefaults;

/// <summary>
/// A region's JetStream streams, as the edge and the aggregator both create them: whichever starts first creates a
/// missing stream and the other leaves it as it is, so both must ask for the same.
/// </summary>
public static class RegionStreams
{
    public static StreamConfig Votes(RegionTopology region) => new(region.VoteStream, [Subjects.VoteStreamSubjects(region.Name)])
    {
        Storage = StreamConfigStorage.File,
        DuplicateWindow = StreamLimits.VotesDuplicateWindow,
        MaxAge = StreamLimits.VotesMaxAge,
        NumReplicas = region.StreamReplicas,
    };

    public static StreamConfig Receipts(RegionTopology region) => new(region.ReceiptStream, [Subjects.Receipts(region.Name)])
    {
        Storage = StreamConfigStorage.File,
        MaxAge = StreamLimits.ReceiptsMaxAge,
        NumReplicas = region.StreamReplicas,
    };

    public static StreamConfig DeadLetters(RegionTopology region) => new(StreamNames.DeadLetters(region.Name), [Subjects.DeadLetter(region.Name)])
    {
        Storage = StreamConfigStorage.File,
        NumReplicas = region.StreamReplicas,
    };

    public static StreamConfig Resets(RegionTopology region) => new(region.ResetStream, [Subjects.SlotResets(region.Name)])
    {
        Storage = StreamConfigStorage.File,
        MaxAge = StreamLimits.ResetsMaxAge,
    };

    /// <summary>Creates the stream unless it exists; one that exists is left as it is.</summary>
    public static async Task EnsureStreamAsync(this INatsJSContext jetStream, StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            await jetStream.GetStreamAsync(config.Name!, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            try
            {
                await jetStream.CreateStreamAsync(config, cancellationToken);
            }
            catch (NatsJSApiException raced) when (raced.Error.ErrCode == 10058)
            {
                // Another edge or the aggregator created it meanwhile.
            }
        }
    }
}
