namespace Pipeline.Processing.Engine;

/// <summary>A message of the batch that goes to the dead-letter topic.</summary>
/// <param name="Index">Index of the message in the batch handed to the processor.</param>
/// <param name="Reason">snake_case reason written to the dlq.reason header.</param>
/// <param name="Detail">Human-readable detail (no payload).</param>
public readonly record struct PoisonVerdict(int Index, string Reason, string Detail);
