using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Ledger.Fabric.Chaincode;

namespace Pipeline.Ledger.Tests;

public sealed class ChaincodePackageUnitTests
{
    private static readonly ChaincodeConnection Connection = new() { Address = "whitelist-cc:9999", DialTimeout = "10s" };

    [Fact]
    public void Create_Ccaas_MetadataThenCodeArchiveHoldingConnectionJson()
    {
        var package = ChaincodePackage.Create(Connection, "whitelist_1.0");

        var outer = Entries(package);
        Assert.Equal([ChaincodePackage.MetadataFile, ChaincodePackage.CodeFile], outer.Select(e => e.Name));
        using var metadata = JsonDocument.Parse(outer[0].Content);
        Assert.Equal("ccaas", metadata.RootElement.GetProperty("type").GetString());
        Assert.Equal("whitelist_1.0", metadata.RootElement.GetProperty("label").GetString());

        var code = Entries(outer[1].Content);
        Assert.Equal([ChaincodePackage.ConnectionFile], code.Select(e => e.Name));
        using var connection = JsonDocument.Parse(code[0].Content);
        Assert.Equal("whitelist-cc:9999", connection.RootElement.GetProperty("address").GetString());
        Assert.Equal("10s", connection.RootElement.GetProperty("dial_timeout").GetString());
        Assert.False(connection.RootElement.GetProperty("tls_required").GetBoolean());
        Assert.False(connection.RootElement.GetProperty("client_auth_required").GetBoolean());
        Assert.Equal(string.Empty, connection.RootElement.GetProperty("root_cert").GetString());
    }

    [Fact]
    public void Create_TlsConnection_CarriesRootCertificate()
    {
        var tls = Connection with { TlsRequired = true, RootCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" };

        var code = Entries(Entries(ChaincodePackage.Create(tls, "whitelist_1.0"))[1].Content);

        using var connection = JsonDocument.Parse(code[0].Content);
        Assert.True(connection.RootElement.GetProperty("tls_required").GetBoolean());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", connection.RootElement.GetProperty("root_cert").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PackageId_IsLabelColonSha256OfTheFile_AndStableAcrossBuilds()
    {
        var first = ChaincodePackage.Create(Connection, "whitelist_1.0");
        var second = ChaincodePackage.Create(Connection, "whitelist_1.0");
        var otherAddress = ChaincodePackage.Create(Connection with { Address = "elsewhere:9999" }, "whitelist_1.0");

        var id = ChaincodePackage.PackageId("whitelist_1.0", first);

        Assert.Equal("whitelist_1.0:" + Convert.ToHexStringLower(SHA256.HashData(first)), id);
        Assert.Matches("^whitelist_1\\.0:[0-9a-f]{64}$", id);
        Assert.Equal(first, second);
        Assert.NotEqual(id, ChaincodePackage.PackageId("whitelist_1.0", otherAddress));
    }

    [Theory]
    [InlineData("")]
    [InlineData("_leading")]
    [InlineData("white list")]
    [InlineData("whitelist:1")]
    public void Create_InvalidLabel_ThrowsNamingTheLabel(string label)
    {
        var ex = Assert.Throws<ArgumentException>(() => ChaincodePackage.Create(Connection, label));

        Assert.Contains($"'{label}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_AddressWithoutPort_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ChaincodePackage.Create(Connection with { Address = "whitelist-cc" }, "whitelist_1.0"));

        Assert.Contains("'whitelist-cc' is not HOST:PORT", ex.Message, StringComparison.Ordinal);
    }

    private static List<(string Name, byte[] Content)> Entries(byte[] targz)
    {
        var entries = new List<(string, byte[])>();
        using var gzip = new GZipStream(new MemoryStream(targz), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            entries.Add((entry.Name, content.ToArray()));
        }

        return entries;
    }
}
