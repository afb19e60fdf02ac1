namespace Pipeline.Federation;

/// <summary>Why the coordinator dropped an update.</summary>
public enum RejectionReason
{
    /// <summary>The update is for another model name.</summary>
    WrongModel,

    /// <summary>No public key is registered for the participant.</summary>
    UnknownParticipant,

    /// <summary>The update carries no signature.</summary>
    Unsigned,

    /// <summary>The signature does not verify with the registered key (tampered or forged).</summary>
    BadSignature,

    /// <summary>The nonce was seen before: a replayed update.</summary>
    Replayed,

    /// <summary>The update answers an earlier round (late, or stale).</summary>
    StaleRound,

    /// <summary>The update claims a round that has not been announced.</summary>
    FutureRound,

    /// <summary>The participant was not selected for this round.</summary>
    NotSelected,

    /// <summary>The participant already has an accepted update in this round.</summary>
    Duplicate,

    /// <summary>The update was trained from another global version than announced.</summary>
    StaleBaseVersion,

    /// <summary>Detector kind differs from the announced one.</summary>
    WrongKind,

    /// <summary>Sample count is not positive.</summary>
    InvalidSampleCount,

    /// <summary>The parameters do not decode.</summary>
    Malformed,

    /// <summary>Parameter shapes differ from the model's.</summary>
    ShapeMismatch,

    /// <summary>A parameter or statistic is NaN or infinite.</summary>
    NonFinite,

    /// <summary>The update's L2 norm exceeds the configured bound.</summary>
    NormExceeded,
}
