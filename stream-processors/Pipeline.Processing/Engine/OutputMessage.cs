namespace Pipeline.Processing.Engine;

/// <summary>A message a batch produces.</summary>
/// <param name="Topic">Destination topic (full name).</param>
/// <param name="Key">Message key.</param>
/// <param name="Value">Encoded value.</param>
public readonly record struct OutputMessage(string Topic, string? Key, byte[] Value);
