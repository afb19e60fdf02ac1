namespace Pipeline.Detection;

/// <summary>The fields every serialized model starts with.</summary>
internal readonly record struct ModelHeader(DetectorKind Kind, int Dimension, double Threshold, long TrainingSamples);
