namespace Pipeline.Detection;

/// <summary>Optimizer used to train the NED autoencoder.</summary>
public enum NedOptimizer
{
    /// <summary>Stochastic gradient descent with optional momentum (the paper's choice).</summary>
    Sgd = 0,

    /// <summary>Adam.</summary>
    Adam = 1,
}
