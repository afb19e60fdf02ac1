namespace Pipeline.Federation;

/// <summary>One participant's parameter vector for a round, with the number of samples it trained on.</summary>
public sealed record ParameterUpdate(string ParticipantId, float[] Parameters, long Samples);
