namespace Pipeline.Processing.Scoring;

/// <summary>What scoring does before the first global model for its stream arrives.</summary>
public enum NoModelBehaviour
{
    /// <summary>Do not consume until a model exists (offsets stay where they are).</summary>
    Wait,

    /// <summary>Consume and commit without scoring; counted as unscored.</summary>
    PassThrough,
}
