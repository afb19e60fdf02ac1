namespace Pipeline.Federation;

/// <summary>An update the coordinator dropped, with the reason and a detail naming the cause.</summary>
public sealed record RejectedUpdate(string ParticipantId, long Round, RejectionReason Reason, string Detail);
