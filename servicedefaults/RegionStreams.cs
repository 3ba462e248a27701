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
        NumReplicas = region.StreamReplicas,
    };

    /// <summary>
    /// Creates the stream unless it exists. One that exists keeps its settings but its replica count, which follows the
    /// topology's, so a region moved to a cluster replicates the streams it already had.
    /// </summary>
    public static async Task EnsureStreamAsync(this INatsJSContext jetStream, StreamConfig config, CancellationToken cancellationToken)
    {
        try
        {
            var existing = (await jetStream.GetStreamAsync(config.Name!, cancellationToken: cancellationToken)).Info.Config;
            if (existing.NumReplicas != config.NumReplicas)
            {
                await jetStream.UpdateStreamAsync(existing with { NumReplicas = config.NumReplicas }, cancellationToken);
            }
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
