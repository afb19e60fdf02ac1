using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Chaincode;

namespace Pipeline.Chaincode.Tests;

public sealed class WhitelistContractUnitTests
{
    private static readonly ClientIdentity Admin = ClientIdentity.Admin("alice", "Org1MSP");
    private static readonly ClientIdentity User = ClientIdentity.User("bob", "Org1MSP");
    private readonly WhitelistContract _contract = new();
    private readonly InMemoryChaincodeStub _stub = new();

    [Fact]
    public void CreateAsset_Admin_StoresAssetWithTransactionTimeAndEvent()
    {
        var sha = Hash("chrome.exe");
        var at = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

        var asset = _contract.CreateAsset(_stub.BeginTransaction(Admin, at), sha, "chrome", "120.0", "windows-x64", OwnerRoles.User);

        Assert.Equal(asset, _contract.ReadAsset(_stub.BeginTransaction(User), sha));
        Assert.Equal(OwnerRoles.User, asset.OwnerId);
        Assert.Equal("alice", asset.Approver);
        Assert.Equal("Org1MSP", asset.CreatedByMsp);
        Assert.Equal(at, asset.CreatedAt);
        Assert.Equal("AssetCreated", Assert.Single(_stub.Events).Name);
    }

    [Fact]
    public void CreateAsset_ExistingHash_ThrowsAlreadyExists()
    {
        var sha = Hash("a");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "a", "1", "linux", OwnerRoles.User);

        var ex = Assert.Throws<ContractException>(() =>
            _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "a", "2", "linux", OwnerRoles.User));

        Assert.Equal(ContractErrorCode.AlreadyExists, ex.Code);
        Assert.Contains(sha, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateAsset_NonAdmin_ThrowsForbiddenAndWritesNothing()
    {
        var ex = Assert.Throws<ContractException>(() =>
            _contract.CreateAsset(_stub.BeginTransaction(User), Hash("x"), "x", "1", "linux", OwnerRoles.User));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
        Assert.Contains("bob", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _stub.Count);
    }

    [Fact]
    public void CreateAsset_IdentityWithoutRoleAttribute_ThrowsForbidden()
    {
        var anonymous = new ClientIdentity { Id = "svc", MspId = "Org2MSP" };

        var ex = Assert.Throws<ContractException>(() =>
            _contract.CreateAsset(_stub.BeginTransaction(anonymous), Hash("x"), "x", "1", "linux", OwnerRoles.User));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
    }

    [Fact]
    public void TransferAsset_NonAdmin_ThrowsForbiddenAndOwnerUnchanged()
    {
        var sha = Hash("tool");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "tool", "1", "linux", OwnerRoles.Admin);

        var ex = Assert.Throws<ContractException>(() => _contract.TransferAsset(_stub.BeginTransaction(User), sha, OwnerRoles.User));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
        Assert.Equal(OwnerRoles.Admin, _contract.ReadAsset(_stub.BeginTransaction(User), sha).OwnerRole);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555")]
    public void CreateAsset_MalformedHash_ThrowsMalformedHashNamingIt(string sha)
    {
        var ex = Assert.Throws<ContractException>(() =>
            _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "x", "1", "linux", OwnerRoles.User));

        Assert.Equal(ContractErrorCode.MalformedHash, ex.Code);
        Assert.Contains($"'{sha}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("64 lower-case hex", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateAsset_UnknownOwnerRole_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<ContractException>(() =>
            _contract.CreateAsset(_stub.BeginTransaction(Admin), Hash("x"), "x", "1", "linux", "root"));

        Assert.Equal(ContractErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("'root'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadAsset_Unknown_ThrowsNotFound()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.ReadAsset(_stub.BeginTransaction(User), Hash("missing")));

        Assert.Equal(ContractErrorCode.NotFound, ex.Code);
    }

    [Fact]
    public void AssetExists_BeforeAndAfterCreate_FalseThenTrue()
    {
        var sha = Hash("e");

        Assert.False(_contract.AssetExists(_stub.BeginTransaction(User), sha));
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "e", "1", "linux", OwnerRoles.User);
        Assert.True(_contract.AssetExists(_stub.BeginTransaction(User), sha));
    }

    [Fact]
    public void UpdateAsset_Admin_ChangesVersionKeepsOwnerAndCreation()
    {
        var sha = Hash("u");
        var created = _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "u", "1", "linux", OwnerRoles.Admin, "ops");

        var updated = _contract.UpdateAsset(_stub.BeginTransaction(Admin), sha, "u", "2", "linux", "carol");

        Assert.Equal("2", updated.AppVersion);
        Assert.Equal("carol", updated.Approver);
        Assert.Equal(("admin", "ops"), (updated.OwnerRole, updated.OwnerId));
        Assert.Equal(created.CreatedAt, updated.CreatedAt);
        Assert.True(updated.UpdatedAt > created.UpdatedAt);
    }

    [Fact]
    public void TransferAsset_Admin_NewOwnerAndPreviousOwnerKeptInHistory()
    {
        var sha = Hash("t");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "t", "1", "linux", OwnerRoles.User, "dev-team");

        _contract.TransferAsset(_stub.BeginTransaction(Admin), sha, OwnerRoles.Admin, "it-ops");
        var history = _contract.GetAssetHistory(_stub.BeginTransaction(User), sha);

        Assert.Equal(["dev-team", "it-ops"], history.Select(h => h.Asset!.OwnerId));
        Assert.Equal([OwnerRoles.User, OwnerRoles.Admin], history.Select(h => h.Asset!.OwnerRole));
        Assert.Equal(["tx000001", "tx000002"], history.Select(h => h.TxId));
    }

    [Fact]
    public void DeleteAsset_Admin_RevokesAndHistoryEndsWithDelete()
    {
        var sha = Hash("d");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "d", "1", "linux", OwnerRoles.User);

        var revoked = _contract.DeleteAsset(_stub.BeginTransaction(Admin), sha, "vulnerable");

        Assert.Equal(sha, revoked.Sha256);
        Assert.False(_contract.AssetExists(_stub.BeginTransaction(User), sha));
        var history = _contract.GetAssetHistory(_stub.BeginTransaction(User), sha);
        Assert.Equal([false, true], history.Select(h => h.IsDelete));
        Assert.Null(history[^1].Asset);
        Assert.Equal("AssetRevoked", _stub.Events[^1].Name);
        Assert.Contains("vulnerable", Encoding.UTF8.GetString(_stub.Events[^1].Payload), StringComparison.Ordinal);
    }

    [Fact]
    public void DeleteAsset_NonAdmin_ThrowsForbidden()
    {
        var sha = Hash("d2");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "d2", "1", "linux", OwnerRoles.User);

        var ex = Assert.Throws<ContractException>(() => _contract.DeleteAsset(_stub.BeginTransaction(User), sha));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
    }

    [Fact]
    public void GetAllAssets_SevenAssetsPagesOfThree_WalksAllInHashOrderWithBookmarks()
    {
        var hashes = Enumerable.Range(0, 7).Select(i => Hash("p" + i)).ToList();
        _contract.EnrollEndpoint(_stub.BeginTransaction(Admin), "ws-1", "plant", "linux");
        foreach (var sha in hashes)
        {
            _contract.CreateAsset(_stub.BeginTransaction(Admin), sha, "p", "1", "linux", OwnerRoles.User);
        }

        var seen = new List<string>();
        var bookmark = string.Empty;
        var pages = 0;
        do
        {
            var page = _contract.GetAllAssets(_stub.BeginTransaction(User), 3, bookmark);
            seen.AddRange(page.Assets.Select(a => a.Sha256));
            bookmark = page.Bookmark;
            pages++;
        }
        while (bookmark.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(hashes.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public void GetAllAssets_ForeignBookmark_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.GetAllAssets(_stub.BeginTransaction(User), 10, "endpoint:ws-1"));

        Assert.Equal(ContractErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public void FindByAppName_TwoVersions_ReturnsBoth()
    {
        _contract.CreateAsset(_stub.BeginTransaction(Admin), Hash("c1"), "chrome", "119", "linux", OwnerRoles.User);
        _contract.CreateAsset(_stub.BeginTransaction(Admin), Hash("c2"), "chrome", "120", "linux", OwnerRoles.User);
        _contract.CreateAsset(_stub.BeginTransaction(Admin), Hash("f1"), "firefox", "130", "linux", OwnerRoles.User);

        var found = _contract.FindByAppName(_stub.BeginTransaction(User), "chrome");

        Assert.Equal(["119", "120"], found.Select(a => a.AppVersion).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void VerifyExecutions_MixedBatch_AnswersInOrderWithOwnership()
    {
        var userApp = Hash("notepad");
        var adminApp = Hash("regedit");
        var unknown = Hash("malware");
        _contract.CreateAsset(_stub.BeginTransaction(Admin), userApp, "notepad", "1", "windows", OwnerRoles.User);
        _contract.CreateAsset(_stub.BeginTransaction(Admin), adminApp, "regedit", "1", "windows", OwnerRoles.Admin);

        var checks = _contract.VerifyExecutions(_stub.BeginTransaction(User), [unknown, adminApp, userApp]);

        Assert.Equal([unknown, adminApp, userApp], checks.Select(c => c.Sha256));
        Assert.Equal([false, true, true], checks.Select(c => c.Exists));
        Assert.Equal([null, "admin", "user"], checks.Select(c => c.OwnerRole));
        Assert.Equal([false, false, true], checks.Select(c => c.IsAllowedFor(OwnerRoles.User)));
        Assert.Equal([false, true, true], checks.Select(c => c.IsAllowedFor(OwnerRoles.Admin)));
    }

    [Fact]
    public void VerifyExecutions_MalformedHashInBatch_ThrowsNamingPosition()
    {
        var ex = Assert.Throws<ContractException>(() =>
            _contract.VerifyExecutions(_stub.BeginTransaction(User), [Hash("ok"), "NOT-A-HASH"]));

        Assert.Equal(ContractErrorCode.MalformedHash, ex.Code);
        Assert.Contains("hashes[1]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyExecutions_EmptyBatch_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.VerifyExecutions(_stub.BeginTransaction(User), []));

        Assert.Equal(ContractErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public void EnrollEndpoint_Twice_ThrowsAlreadyExists()
    {
        _contract.EnrollEndpoint(_stub.BeginTransaction(Admin), "ws-1", "plant-a", "windows-x64");

        var ex = Assert.Throws<ContractException>(() => _contract.EnrollEndpoint(_stub.BeginTransaction(Admin), "ws-1", "plant-a", "windows-x64"));

        Assert.Equal(ContractErrorCode.AlreadyExists, ex.Code);
        Assert.Equal("plant-a", _contract.ReadEndpoint(_stub.BeginTransaction(User), "ws-1").Organisation);
    }

    [Fact]
    public void EnrollEndpoint_NonAdmin_ThrowsForbidden()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.EnrollEndpoint(_stub.BeginTransaction(User), "ws-1", "plant-a", "linux"));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
    }

    [Fact]
    public void Invoke_UnknownFunction_ThrowsUnknownFunction()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.Invoke(_stub.BeginTransaction(User), "Mint", []));

        Assert.Equal(ContractErrorCode.UnknownFunction, ex.Code);
        Assert.Contains("'Mint'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_MissingArgument_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ContractException>(() => _contract.Invoke(_stub.BeginTransaction(Admin), WhitelistFunctions.CreateAsset, [Hash("m"), "app"]));

        Assert.Equal(ContractErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("appVersion", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_SameCreateOnTwoStubs_ProducesIdenticalBytes()
    {
        var other = new InMemoryChaincodeStub();
        string[] args = [Hash("det"), "det", "1", "linux", "user", "team", "carol"];
        var at = DateTimeOffset.UnixEpoch.AddDays(1);

        var first = _contract.Invoke(_stub.BeginTransaction(Admin, at), WhitelistFunctions.CreateAsset, args);
        var second = _contract.Invoke(other.BeginTransaction(Admin, at), WhitelistFunctions.CreateAsset, args);

        Assert.Equal(first, second);
        Assert.Equal(first, _stub.GetState(WhitelistContract.AssetPrefix + args[0]));
        Assert.StartsWith("{\"docType\":\"asset\",\"sha256\":", Encoding.UTF8.GetString(first), StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_VerifyExecutionsJsonArray_SameAsPositionalHashes()
    {
        var a = Hash("a");
        var b = Hash("b");

        var fromJson = _contract.Invoke(_stub.BeginTransaction(User), WhitelistFunctions.VerifyExecutions, [JsonSerializer.Serialize(new[] { a, b })]);
        var positional = _contract.Invoke(_stub.BeginTransaction(User), WhitelistFunctions.VerifyExecutions, [a, b]);

        Assert.Equal(fromJson, positional);
    }

    private static string Hash(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
}
