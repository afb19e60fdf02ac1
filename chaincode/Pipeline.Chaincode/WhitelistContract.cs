using System.Text.Json;

namespace Pipeline.Chaincode;

/// <summary>
/// The BCDID application whitelist: the SHA-256 of every approved endpoint application is an asset.
/// Only callers with <c>role=admin</c> write; anyone in the network reads and verifies executions.
/// </summary>
/// <remarks>
/// Stateless and thread-safe: all state lives behind the <see cref="IChaincodeStub"/>. Keys are
/// <c>asset:&lt;sha256&gt;</c> and <c>endpoint:&lt;id&gt;</c>. Every refusal is a
/// <see cref="ContractException"/> whose code says why and whose message names the offending value.
/// </remarks>
public sealed class WhitelistContract : IContract
{
    /// <summary>Key prefix of assets.</summary>
    public const string AssetPrefix = "asset:";

    /// <summary>Key prefix of endpoints.</summary>
    public const string EndpointPrefix = "endpoint:";

    /// <summary>Default page size of GetAllAssets.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Largest page of GetAllAssets.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Most hashes in one VerifyExecutions call.</summary>
    public const int MaxVerifyBatch = 4096;

    private const int MaxTextLength = 256;

    // ';' is the character after ':', so [prefix, prefix-with-';') covers every key of one kind.
    private const string AssetRangeEnd = "asset;";

    /// <inheritdoc />
    public string Name => "whitelist";

    /// <inheritdoc />
    public byte[] Invoke(IChaincodeStub stub, string function, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(stub);
        ArgumentNullException.ThrowIfNull(args);
        return function switch
        {
            WhitelistFunctions.EnrollEndpoint => ContractJson.Serialize(
                EnrollEndpoint(stub, Arg(args, 0, "endpointId"), Arg(args, 1, "organisation"), Arg(args, 2, "platform"))),
            WhitelistFunctions.ReadEndpoint => ContractJson.Serialize(ReadEndpoint(stub, Arg(args, 0, "endpointId"))),
            WhitelistFunctions.CreateAsset => ContractJson.Serialize(CreateAsset(
                stub,
                Arg(args, 0, "sha256"),
                Arg(args, 1, "appName"),
                Arg(args, 2, "appVersion"),
                Arg(args, 3, "platform"),
                Arg(args, 4, "ownerRole"),
                OptionalArg(args, 5),
                OptionalArg(args, 6))),
            WhitelistFunctions.ReadAsset => ContractJson.Serialize(ReadAsset(stub, Arg(args, 0, "sha256"))),
            WhitelistFunctions.AssetExists => ContractJson.Serialize(AssetExists(stub, Arg(args, 0, "sha256"))),
            WhitelistFunctions.UpdateAsset => ContractJson.Serialize(UpdateAsset(
                stub,
                Arg(args, 0, "sha256"),
                Arg(args, 1, "appName"),
                Arg(args, 2, "appVersion"),
                Arg(args, 3, "platform"),
                OptionalArg(args, 4))),
            WhitelistFunctions.TransferAsset => ContractJson.Serialize(
                TransferAsset(stub, Arg(args, 0, "sha256"), Arg(args, 1, "newOwnerRole"), OptionalArg(args, 2))),
            WhitelistFunctions.DeleteAsset => ContractJson.Serialize(DeleteAsset(stub, Arg(args, 0, "sha256"), OptionalArg(args, 1))),
            WhitelistFunctions.GetAllAssets => ContractJson.Serialize(
                GetAllAssets(stub, ParsePageSize(OptionalArg(args, 0)), OptionalArg(args, 1) ?? string.Empty)),
            WhitelistFunctions.GetAssetHistory => ContractJson.Serialize(GetAssetHistory(stub, Arg(args, 0, "sha256"))),
            WhitelistFunctions.FindByAppName => ContractJson.Serialize(FindByAppName(stub, Arg(args, 0, "appName"))),
            WhitelistFunctions.VerifyExecutions => ContractJson.Serialize(VerifyExecutions(stub, ParseHashList(args))),
            _ => throw new ContractException(ContractErrorCode.UnknownFunction, $"contract '{Name}' has no function '{function}'"),
        };
    }

    /// <summary>Enrolls an endpoint. Admin only; enrolling twice fails.</summary>
    public EndpointRecord EnrollEndpoint(IChaincodeStub stub, string endpointId, string organisation, string platform)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireAdmin(stub, WhitelistFunctions.EnrollEndpoint);
        RequireText(endpointId, nameof(endpointId));
        RequireText(organisation, nameof(organisation));
        RequireText(platform, nameof(platform));
        var key = EndpointPrefix + endpointId;
        if (stub.GetState(key) is not null)
        {
            throw new ContractException(ContractErrorCode.AlreadyExists, $"endpoint '{endpointId}' is already enrolled");
        }

        var record = new EndpointRecord
        {
            EndpointId = endpointId,
            Organisation = organisation,
            Platform = platform,
            EnrolledBy = stub.Creator.Id,
            EnrolledAt = stub.TxTimestamp,
        };
        stub.PutState(key, ContractJson.Serialize(record));
        stub.SetEvent("EndpointEnrolled", ContractJson.Serialize(record));
        return record;
    }

    /// <summary>Reads an enrolled endpoint.</summary>
    public EndpointRecord ReadEndpoint(IChaincodeStub stub, string endpointId)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireText(endpointId, nameof(endpointId));
        var bytes = stub.GetState(EndpointPrefix + endpointId)
            ?? throw new ContractException(ContractErrorCode.NotFound, $"endpoint '{endpointId}' is not enrolled");
        return ContractJson.Deserialize<EndpointRecord>(bytes, $"endpoint '{endpointId}'");
    }

    /// <summary>
    /// Whitelists an application. Admin only; an existing hash fails. <paramref name="ownerId"/>
    /// defaults to the ownership class, <paramref name="approver"/> to the caller.
    /// </summary>
    public WhitelistAsset CreateAsset(
        IChaincodeStub stub,
        string sha256,
        string appName,
        string appVersion,
        string platform,
        string ownerRole,
        string? ownerId = null,
        string? approver = null)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireAdmin(stub, WhitelistFunctions.CreateAsset);
        RequireHash(sha256);
        RequireText(appName, nameof(appName));
        RequireText(appVersion, nameof(appVersion));
        RequireText(platform, nameof(platform));
        RequireRole(ownerRole, nameof(ownerRole));
        var owner = string.IsNullOrEmpty(ownerId) ? ownerRole : ownerId;
        RequireText(owner, nameof(ownerId));
        var approvedBy = string.IsNullOrEmpty(approver) ? stub.Creator.Id : approver;
        RequireText(approvedBy, nameof(approver));

        var key = AssetPrefix + sha256;
        if (stub.GetState(key) is not null)
        {
            throw new ContractException(ContractErrorCode.AlreadyExists, $"asset {sha256} already exists");
        }

        var asset = new WhitelistAsset
        {
            Sha256 = sha256,
            AppName = appName,
            AppVersion = appVersion,
            Platform = platform,
            OwnerRole = ownerRole,
            OwnerId = owner,
            Approver = approvedBy,
            CreatedByMsp = stub.Creator.MspId,
            CreatedAt = stub.TxTimestamp,
            UpdatedAt = stub.TxTimestamp,
        };
        Put(stub, asset, "AssetCreated");
        return asset;
    }

    /// <summary>Reads an asset; an unknown hash fails with <see cref="ContractErrorCode.NotFound"/>.</summary>
    public WhitelistAsset ReadAsset(IChaincodeStub stub, string sha256)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireHash(sha256);
        return TryRead(stub, sha256)
            ?? throw new ContractException(ContractErrorCode.NotFound, $"asset {sha256} does not exist");
    }

    /// <summary>True when the hash is whitelisted.</summary>
    public bool AssetExists(IChaincodeStub stub, string sha256)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireHash(sha256);
        return stub.GetState(AssetPrefix + sha256) is not null;
    }

    /// <summary>Changes name, version, platform and approver of an asset. Admin only; ownership is kept.</summary>
    public WhitelistAsset UpdateAsset(
        IChaincodeStub stub,
        string sha256,
        string appName,
        string appVersion,
        string platform,
        string? approver = null)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireAdmin(stub, WhitelistFunctions.UpdateAsset);
        RequireText(appName, nameof(appName));
        RequireText(appVersion, nameof(appVersion));
        RequireText(platform, nameof(platform));
        var current = ReadAsset(stub, sha256);
        var updated = current with
        {
            AppName = appName,
            AppVersion = appVersion,
            Platform = platform,
            Approver = string.IsNullOrEmpty(approver) ? stub.Creator.Id : approver,
            UpdatedAt = stub.TxTimestamp,
        };
        Put(stub, updated, "AssetUpdated");
        return updated;
    }

    /// <summary>
    /// Changes the owner of an asset. Admin only. The previous owner stays visible in the key history.
    /// </summary>
    public WhitelistAsset TransferAsset(IChaincodeStub stub, string sha256, string newOwnerRole, string? newOwnerId = null)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireAdmin(stub, WhitelistFunctions.TransferAsset);
        RequireRole(newOwnerRole, nameof(newOwnerRole));
        var current = ReadAsset(stub, sha256);
        var updated = current with
        {
            OwnerRole = newOwnerRole,
            OwnerId = string.IsNullOrEmpty(newOwnerId) ? newOwnerRole : newOwnerId,
            UpdatedAt = stub.TxTimestamp,
        };
        Put(stub, updated, "AssetTransferred");
        return updated;
    }

    /// <summary>Revokes an asset (deletes the key; history keeps it). Admin only. Returns what was revoked.</summary>
    public WhitelistAsset DeleteAsset(IChaincodeStub stub, string sha256, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireAdmin(stub, WhitelistFunctions.DeleteAsset);
        var current = ReadAsset(stub, sha256);
        stub.DelState(AssetPrefix + sha256);
        stub.SetEvent("AssetRevoked", ContractJson.Serialize(new { sha256, reason = reason ?? string.Empty, by = stub.Creator.Id }));
        return current;
    }

    /// <summary>One page of all assets in hash order.</summary>
    public AssetPage GetAllAssets(IChaincodeStub stub, int pageSize = DefaultPageSize, string bookmark = "")
    {
        ArgumentNullException.ThrowIfNull(stub);
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"pageSize must be 1..{MaxPageSize}, got {pageSize}");
        }

        if (bookmark.Length > 0 && !bookmark.StartsWith(AssetPrefix, StringComparison.Ordinal))
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"bookmark '{bookmark}' is not an asset bookmark");
        }

        var page = stub.GetStateByRangeWithPagination(AssetPrefix, AssetRangeEnd, pageSize, bookmark);
        var assets = page.Entries.Select(e => ContractJson.Deserialize<WhitelistAsset>(e.Value, e.Key)).ToList();
        return new AssetPage(assets, page.Bookmark);
    }

    /// <summary>Every committed change of an asset, oldest first (creation, updates, transfers, revocation).</summary>
    public IReadOnlyList<AssetHistoryEntry> GetAssetHistory(IChaincodeStub stub, string sha256)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireHash(sha256);
        return stub.GetHistoryForKey(AssetPrefix + sha256)
            .Select(m => new AssetHistoryEntry(
                m.TxId,
                m.Timestamp,
                m.IsDelete,
                m.IsDelete ? null : ContractJson.Deserialize<WhitelistAsset>(m.Value, $"history of {sha256}")))
            .ToList();
    }

    /// <summary>All assets with exactly this application name (a scan: for tooling, not the hot path).</summary>
    public IReadOnlyList<WhitelistAsset> FindByAppName(IChaincodeStub stub, string appName)
    {
        ArgumentNullException.ThrowIfNull(stub);
        RequireText(appName, nameof(appName));
        return stub.GetStateByRange(AssetPrefix, AssetRangeEnd)
            .Select(e => ContractJson.Deserialize<WhitelistAsset>(e.Value, e.Key))
            .Where(a => string.Equals(a.AppName, appName, StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>
    /// Checks a batch of executed hashes in one call (one browser launch is ~350 executables).
    /// Answers in the order asked; a malformed hash fails the whole call, naming its position.
    /// </summary>
    public IReadOnlyList<ExecutionCheck> VerifyExecutions(IChaincodeStub stub, IReadOnlyList<string> hashes)
    {
        ArgumentNullException.ThrowIfNull(stub);
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count == 0 || hashes.Count > MaxVerifyBatch)
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"VerifyExecutions takes 1..{MaxVerifyBatch} hashes, got {hashes.Count}");
        }

        for (var i = 0; i < hashes.Count; i++)
        {
            RequireHash(hashes[i], $"hashes[{i}]");
        }

        var result = new ExecutionCheck[hashes.Count];
        for (var i = 0; i < hashes.Count; i++)
        {
            var asset = TryRead(stub, hashes[i]);
            result[i] = asset is null
                ? new ExecutionCheck(hashes[i], false, null, null, null)
                : new ExecutionCheck(hashes[i], true, asset.AppName, asset.AppVersion, asset.OwnerRole);
        }

        return result;
    }

    /// <summary>True when <paramref name="value"/> is 64 lower-case hexadecimal characters.</summary>
    public static bool IsWellFormedHash(string? value)
    {
        if (value is null || value.Length != 64)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static WhitelistAsset? TryRead(IChaincodeStub stub, string sha256)
    {
        var bytes = stub.GetState(AssetPrefix + sha256);
        return bytes is null ? null : ContractJson.Deserialize<WhitelistAsset>(bytes, $"asset {sha256}");
    }

    private static void Put(IChaincodeStub stub, WhitelistAsset asset, string eventName)
    {
        var bytes = ContractJson.Serialize(asset);
        stub.PutState(AssetPrefix + asset.Sha256, bytes);
        stub.SetEvent(eventName, bytes);
    }

    private static void RequireAdmin(IChaincodeStub stub, string function)
    {
        var caller = stub.Creator;
        if (!caller.IsAdmin)
        {
            throw new ContractException(
                ContractErrorCode.Forbidden,
                $"{function} requires role=admin; caller '{caller.Id}' ({caller.MspId}) has role '{caller.GetAttribute(ClientIdentity.RoleAttribute) ?? "<none>"}'");
        }
    }

    private static void RequireHash(string? sha256, string name = "sha256")
    {
        if (!IsWellFormedHash(sha256))
        {
            throw new ContractException(
                ContractErrorCode.MalformedHash,
                $"{name} '{sha256}' is not a SHA-256 hash (64 lower-case hex characters)");
        }
    }

    private static void RequireRole(string? role, string name)
    {
        if (!OwnerRoles.IsValid(role))
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"{name} must be 'admin' or 'user', got '{role}'");
        }
    }

    private static void RequireText(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"{name} is required");
        }

        if (value.Length > MaxTextLength)
        {
            throw new ContractException(ContractErrorCode.InvalidArgument, $"{name} is longer than {MaxTextLength} characters");
        }
    }

    private static string Arg(IReadOnlyList<string> args, int index, string name) =>
        index < args.Count
            ? args[index]
            : throw new ContractException(ContractErrorCode.InvalidArgument, $"argument {index} ({name}) is missing");

    private static string? OptionalArg(IReadOnlyList<string> args, int index) =>
        index < args.Count && args[index].Length > 0 ? args[index] : null;

    private static int ParsePageSize(string? text)
    {
        if (text is null)
        {
            return DefaultPageSize;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            ? size
            : throw new ContractException(ContractErrorCode.InvalidArgument, $"pageSize '{text}' is not a number");
    }

    private static IReadOnlyList<string> ParseHashList(IReadOnlyList<string> args)
    {
        if (args.Count == 1 && args[0].StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<string[]>(args[0], ContractJson.Options)
                    ?? throw new ContractException(ContractErrorCode.InvalidArgument, "hash list is null");
            }
            catch (JsonException ex)
            {
                throw new ContractException(ContractErrorCode.InvalidArgument, $"hash list is not a JSON array of strings ({ex.Message})", ex);
            }
        }

        return args;
    }
}
