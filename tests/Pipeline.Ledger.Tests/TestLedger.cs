using System.Security.Cryptography;
using System.Text;
using Pipeline.Chaincode;

namespace Pipeline.Ledger.Tests;

/// <summary>Throw-away data directories, identities and hashes for ledger tests.</summary>
internal sealed class TestLedger : IDisposable
{
    public static readonly ClientIdentity Admin = ClientIdentity.Admin("alice", "Org1MSP");
    public static readonly ClientIdentity User = ClientIdentity.User("bob", "Org1MSP");

    public TestLedger()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pipeline-ledger-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public LedgerOptions Options(int peers = 2, int slots = 4) => new()
    {
        DataDirectory = Directory,
        Peers = peers,
        WorkerSlots = slots,
        SyncWrites = false,
        BatchTimeout = TimeSpan.FromMilliseconds(5),
        BlockCacheBytes = 1024 * 1024,
        WriteBufferBytes = 1024 * 1024,
    };

    public static string Hash(string seed) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    public static string[] CreateArgs(string sha, string app = "chrome", string owner = OwnerRoles.User) =>
        [sha, app, "120.0", "windows-x64", owner];

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind does not affect other tests.
        }
    }
}
