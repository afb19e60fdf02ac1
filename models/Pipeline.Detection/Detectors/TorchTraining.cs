namespace Pipeline.Detection;

/// <summary>
/// Serializes libtorch training within a process. Training pins libtorch to one intra-op thread for bit-for-bit
/// reproducibility, and libtorch's thread settings are process-wide; two NED trainings on different threads of one
/// process (participants and tests running side by side) failed inside SGD.step with libtorch's "Expected false to be
/// true" Scalar check in a full federation test run, while the same test passed alone; serializing rules that
/// interaction out. Narrow models train in seconds, so the lock costs little.
/// </summary>
internal static class TorchTraining
{
    public static readonly Lock Gate = new();
}
