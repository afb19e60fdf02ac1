using Microsoft.Extensions.Logging;

namespace Pipeline.PeerIndex;

/// <summary>Source-generated log messages of the peer index.</summary>
internal static partial class PeerIndexLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning,
        Message = "Redis unreachable for peer group {PeerGroup}; falling back to client-side round robin over {KnownPeers} last known peers")]
    public static partial void EnteredFallback(ILogger logger, string peerGroup, int knownPeers, Exception exception);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information,
        Message = "Redis reachable again for peer group {PeerGroup}; leaving fallback after {FallbackLookups} fallback lookups")]
    public static partial void Recovered(ILogger logger, string peerGroup, long fallbackLookups);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning,
        Message = "No ready or available peer in group {PeerGroup} ({ActivePeers} live); scale-up request {RequestId} signalled")]
    public static partial void ScaleRequested(ILogger logger, string peerGroup, int activePeers, string requestId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error,
        Message = "Scale-up request {RequestId} for peer group {PeerGroup} could not be delivered")]
    public static partial void ScaleRequestFailed(ILogger logger, string peerGroup, string requestId, Exception exception);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning,
        Message = "Load report of peer {PeerId} failed; retrying at the next tick")]
    public static partial void ReportFailed(ILogger logger, string peerId, Exception exception);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information,
        Message = "Peer {PeerId} registered in group {PeerGroup} at index {Index}")]
    public static partial void Registered(ILogger logger, string peerId, string peerGroup, long index);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug,
        Message = "Release of {Count} lookups skipped while Redis is unreachable for peer group {PeerGroup}")]
    public static partial void ReleaseSkipped(ILogger logger, string peerGroup, int count);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information,
        Message = "Scale request {RequestId} for group {PeerGroup}: started replica {PeerId} ({Replicas} of at most {MaxReplicas})")]
    public static partial void ReplicaStarted(ILogger logger, string requestId, string peerGroup, string peerId, int replicas, int maxReplicas);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning,
        Message = "Scale request {RequestId} for group {PeerGroup} ignored: {Reason}")]
    public static partial void ScaleIgnored(ILogger logger, string requestId, string peerGroup, string reason);
}
