namespace Pipeline.PeerIndex;

/// <summary>Limits of the embedded scaler (section <c>PeerIndex:Scaler</c>).</summary>
public sealed class PeerScalerOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "PeerIndex:Scaler";

    /// <summary>Most replicas the scaler adds over its lifetime.</summary>
    public int MaxReplicas { get; set; } = 4;

    /// <summary>Requests arriving sooner than this after a start are treated as duplicates.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(15);
}
