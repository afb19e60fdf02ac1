namespace Pipeline.PeerIndex;

/// <summary>A peer's status derived from its effective load.</summary>
public enum PeerStatus
{
    /// <summary>Effective load below the ready threshold: preferred by D_THROTTLE.</summary>
    Ready = 0,

    /// <summary>Below the available threshold: used when no peer is ready.</summary>
    Available = 1,

    /// <summary>At or above the available threshold: one more query could pass the overload line.</summary>
    Overloaded = 2,
}
