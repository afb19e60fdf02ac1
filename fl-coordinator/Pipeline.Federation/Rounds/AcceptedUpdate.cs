using Pipeline.Contracts;

namespace Pipeline.Federation;

/// <summary>An update that passed validation, with its decoded payload.</summary>
public sealed record AcceptedUpdate(ModelUpdate Update, UpdatePayload Payload);
