namespace Pipeline.Chaincode;

/// <summary>Ownership classes of a whitelisted application and caller roles.</summary>
public static class OwnerRoles
{
    /// <summary>Administrators: may write the whitelist; admin-owned apps must not be run by users.</summary>
    public const string Admin = "admin";

    /// <summary>Ordinary users.</summary>
    public const string User = "user";

    /// <summary>True for <c>admin</c> or <c>user</c>.</summary>
    public static bool IsValid(string? role) => role is Admin or User;
}
