namespace Pipeline.Chaincode;

/// <summary>An endpoint enrolled in the whitelist network.</summary>
public sealed record EndpointRecord
{
    /// <summary>Document type tag stored with the endpoint.</summary>
    public const string EndpointDocType = "endpoint";

    /// <summary>Always <see cref="EndpointDocType"/>.</summary>
    public string DocType { get; init; } = EndpointDocType;

    public required string EndpointId { get; init; }

    public required string Organisation { get; init; }

    public required string Platform { get; init; }

    /// <summary>Id of the admin that enrolled it.</summary>
    public required string EnrolledBy { get; init; }

    public required DateTimeOffset EnrolledAt { get; init; }
}
