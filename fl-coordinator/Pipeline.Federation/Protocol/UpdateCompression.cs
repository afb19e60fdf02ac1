namespace Pipeline.Federation;

/// <summary>How a NED parameter vector is encoded in a <c>ModelUpdate</c>.</summary>
public enum UpdateCompression
{
    /// <summary>float32, 4 bytes per value.</summary>
    None = 0,

    /// <summary>IEEE half precision, 2 bytes per value.</summary>
    Float16 = 1,

    /// <summary>Symmetric int8 with one float32 scale per tensor (max |x| / 127), 1 byte per value.</summary>
    Int8 = 2,
}
