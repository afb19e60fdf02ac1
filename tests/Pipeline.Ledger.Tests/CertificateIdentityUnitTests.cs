using System.Text;
using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Chaincode;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Protos.Msp;

namespace Pipeline.Ledger.Tests;

public sealed class CertificateIdentityUnitTests
{
    [Fact]
    public void FromSerializedIdentity_FabricCaRoleAttribute_BecomesContractAttribute()
    {
        using var client = ShimTestIdentity.WithRoleAttribute("alice", "OrgHQMSP", OwnerRoles.Admin);

        var identity = CertificateIdentity.FromSerializedIdentity(client.SerializedIdentity());

        Assert.Equal("OrgHQMSP", identity.MspId);
        Assert.True(identity.IsAdmin);
        Assert.Equal("alice", identity.GetAttribute("hf.EnrollmentID"));
        Assert.Equal("alice", identity.Id);
    }

    [Fact]
    public void FromSerializedIdentity_CryptogenAdminOu_IsAdmin()
    {
        using var admin = ShimTestIdentity.WithNodeOu("Admin@orghq.example.com", "OrgHQMSP", "admin");
        using var client = ShimTestIdentity.WithNodeOu("User1@orghq.example.com", "OrgHQMSP", "client");

        Assert.True(CertificateIdentity.FromSerializedIdentity(admin.SerializedIdentity()).IsAdmin);
        var user = CertificateIdentity.FromSerializedIdentity(client.SerializedIdentity());
        Assert.False(user.IsAdmin);
        Assert.Null(user.GetAttribute(ClientIdentity.RoleAttribute));
    }

    [Fact]
    public void FromSerializedIdentity_UserRoleAttributeWithAdminOu_AttributeWins()
    {
        using var client = ShimTestIdentity.WithRoleAttribute("carol", "OrgBRMSP", OwnerRoles.User, ou: "admin");

        var identity = CertificateIdentity.FromSerializedIdentity(client.SerializedIdentity());

        Assert.Equal(OwnerRoles.User, identity.GetAttribute(ClientIdentity.RoleAttribute));
        Assert.False(identity.IsAdmin);
    }

    [Fact]
    public void FromCertificate_LedgerInitMaterial_SameIdentityAsTheEmbeddedPeersGive()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pipeline-ccaas-msp", Guid.NewGuid().ToString("N"));
        try
        {
            MspGenerator.Generate(dir, "OrgHQMSP");
            var adminPem = File.ReadAllBytes(MspLayout.Certificate(dir, "OrgHQMSP", MspLayout.Admin));
            var userPem = File.ReadAllBytes(MspLayout.Certificate(dir, "OrgHQMSP", MspLayout.User));

            var admin = CertificateIdentity.FromCertificate("OrgHQMSP", adminPem);
            var user = CertificateIdentity.FromCertificate("OrgHQMSP", userPem);

            Assert.Equal(("admin@OrgHQMSP", true), (admin.Id, admin.IsAdmin));
            Assert.Equal(("user@OrgHQMSP", false), (user.Id, user.IsAdmin));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FromSerializedIdentity_NotAnIdentity_ThrowsNamingTheCause()
    {
        var ex = Assert.Throws<ChaincodeProtocolException>(() => CertificateIdentity.FromSerializedIdentity(ByteString.CopyFrom(0xFF, 0xFF)));

        Assert.Contains("not a serialized msp identity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSerializedIdentity_IdBytesNotACertificate_ThrowsNamingTheCause()
    {
        var serialized = new SerializedIdentity
        {
            Mspid = "OrgHQMSP",
            IdBytes = ByteString.CopyFrom(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")),
        }.ToByteString();

        var ex = Assert.Throws<ChaincodeProtocolException>(() => CertificateIdentity.FromSerializedIdentity(serialized));

        Assert.Contains("not a valid X.509 certificate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCertificate_NoMspId_Throws()
    {
        using var client = ShimTestIdentity.WithRoleAttribute("dave", "OrgHQMSP", null);

        var ex = Assert.Throws<ChaincodeProtocolException>(() => CertificateIdentity.FromCertificate("", Encoding.ASCII.GetBytes(client.CertificatePem)));

        Assert.Contains("no MSP id", ex.Message, StringComparison.Ordinal);
    }
}
