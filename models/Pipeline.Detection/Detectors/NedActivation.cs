namespace Pipeline.Detection;

/// <summary>Hidden-layer activation of the NED autoencoder (the output layer is linear).</summary>
public enum NedActivation : byte
{
    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 0,

    /// <summary>Rectified linear unit.</summary>
    Relu = 1,
}
