namespace Pipeline.PeerIndex.Tests;

public sealed class PeerIndexOptionsValidatorUnitTests
{
    private static readonly PeerIndexOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(Validator.Validate(null, new PeerIndexOptions()).Succeeded);

    [Fact]
    public void Validate_ReadyAboveAvailable_FailsNamingTheKey()
    {
        var result = Validator.Validate(null, new PeerIndexOptions { ReadyBelowPercent = 75 });

        Assert.True(result.Failed);
        Assert.Contains("PeerIndex:ReadyBelowPercent", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AvailablePlusCostPastOverloadLine_Fails()
    {
        var result = Validator.Validate(null, new PeerIndexOptions { AvailableBelowPercent = 75 });

        Assert.True(result.Failed);
        Assert.Contains("OverloadLinePercent", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportIntervalNotShorterThanTtl_Fails()
    {
        var result = Validator.Validate(null, new PeerIndexOptions { ReportInterval = TimeSpan.FromSeconds(5), HeartbeatTtl = TimeSpan.FromSeconds(5) });

        Assert.True(result.Failed);
        Assert.Contains("PeerIndex:ReportInterval", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("has space")]
    [InlineData("{tag}")]
    public void Validate_MalformedPeerGroup_Fails(string group) =>
        Assert.True(Validator.Validate(null, new PeerIndexOptions { PeerGroup = group }).Failed);

    [Fact]
    public void PeerRegistration_MalformedId_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new PeerRegistration("bad id", "Org1MSP", "x").Validate());

        Assert.Contains("bad id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PeerLoad_CpuAbove100_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PeerLoad(101, 0, 0).Validate());

        Assert.Equal("CpuPercent", error.ParamName);
    }
}
