namespace Pipeline.Detection;

/// <summary>The five detector families of Block Hunter. The numeric value is written into serialized models.</summary>
public enum DetectorKind : byte
{
    /// <summary>Neural encoder-decoder (dense autoencoder, TorchSharp); score = reconstruction error.</summary>
    Ned = 1,

    /// <summary>Isolation Forest (Liu, Ting, Zhou 2008); score = 2^(−E[h(x)]/c(ψ)).</summary>
    IsolationForest = 2,

    /// <summary>PCA with Mahalanobis distance in the principal subspace (plus residual when configured).</summary>
    PcaMahalanobis = 3,

    /// <summary>K-means; score = distance to the nearest centroid.</summary>
    KMeans = 4,

    /// <summary>Cluster-based local outlier factor (He, Xu, Deng 2003).</summary>
    Cblof = 5,
}
