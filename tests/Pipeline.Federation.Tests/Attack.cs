namespace Pipeline.Federation.Tests;

/// <summary>What a Byzantine participant does to its NED update (the difference to the global model).</summary>
public enum Attack
{
    /// <summary>Honest.</summary>
    None,

    /// <summary>The update boosted a hundredfold.</summary>
    Scaled,

    /// <summary>The update pointed the other way with a ×100 magnitude.</summary>
    SignFlipped,
}
