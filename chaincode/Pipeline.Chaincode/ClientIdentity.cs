using System.Text.Json.Serialization;

namespace Pipeline.Chaincode;

/// <summary>
/// The caller of a transaction: an id, its membership service provider (organisation) and
/// certificate attributes such as <c>role=admin</c>.
/// </summary>
public sealed record ClientIdentity
{
    /// <summary>Attribute holding the caller's role.</summary>
    public const string RoleAttribute = "role";

    /// <summary>Caller id (the certificate subject in Fabric).</summary>
    public required string Id { get; init; }

    /// <summary>MSP id of the caller's organisation, e.g. <c>Org1MSP</c>.</summary>
    public required string MspId { get; init; }

    /// <summary>Certificate attributes; ordinal keys.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>True when the <c>role</c> attribute is <c>admin</c>.</summary>
    [JsonIgnore]
    public bool IsAdmin => GetAttribute(RoleAttribute) == OwnerRoles.Admin;

    /// <summary>Value of an attribute, or null.</summary>
    public string? GetAttribute(string name) => Attributes.TryGetValue(name, out var value) ? value : null;

    /// <summary>An identity carrying <c>role=admin</c>.</summary>
    public static ClientIdentity Admin(string id, string mspId) => WithRole(id, mspId, OwnerRoles.Admin);

    /// <summary>An identity carrying <c>role=user</c>.</summary>
    public static ClientIdentity User(string id, string mspId) => WithRole(id, mspId, OwnerRoles.User);

    private static ClientIdentity WithRole(string id, string mspId, string role) => new()
    {
        Id = id,
        MspId = mspId,
        Attributes = new Dictionary<string, string>(StringComparer.Ordinal) { [RoleAttribute] = role },
    };
}
