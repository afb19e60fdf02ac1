namespace Pipeline.PeerIndex.Tests;

public sealed class PeerStatusClassifierUnitTests
{
    private static readonly PeerIndexOptions Defaults = new();

    [Theory]
    [InlineData(0, PeerStatus.Ready)]
    [InlineData(49.99, PeerStatus.Ready)]
    [InlineData(50, PeerStatus.Available)]
    [InlineData(69.99, PeerStatus.Available)]
    [InlineData(70, PeerStatus.Overloaded)]
    [InlineData(100, PeerStatus.Overloaded)]
    public void Classify_DefaultThresholds_ReadyBelow50AvailableBelow70(double load, PeerStatus expected) =>
        Assert.Equal(expected, PeerStatusClassifier.Classify(load, Defaults));

    [Fact]
    public void Classify_ConfiguredThresholds_AreHonoured() =>
        Assert.Equal(PeerStatus.Available, PeerStatusClassifier.Classify(35, new PeerIndexOptions { ReadyBelowPercent = 30, AvailableBelowPercent = 60 }));

    [Fact]
    public void Classify_NaN_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerStatusClassifier.Classify(double.NaN, Defaults));

    [Fact]
    public void EffectiveLoad_LargerOfCpuAndRamPlusPendingCost() =>
        Assert.Equal(62, PeerStatusClassifier.EffectiveLoad(new PeerLoad(12, 42, 3), pendingReservations: 2, queryCostPercent: 10));

    [Theory]
    [InlineData(5, 3, 2)]
    [InlineData(3, 5, 0)]
    [InlineData(0, 4, 0)]
    [InlineData(4, 0, 4)]
    public void Pending_ReservationsNotYetRunning(int reserved, int inFlight, int expected) =>
        Assert.Equal(expected, PeerStatusClassifier.Pending(reserved, inFlight));

    [Fact]
    public void SelectDynamicThrottle_ReadyBeforeAvailable() =>
        Assert.Equal(2, PeerStatusClassifier.SelectDynamicThrottle([65, 55, 45, 10], Defaults));

    [Fact]
    public void SelectDynamicThrottle_NoReady_FirstAvailableInIndexOrder() =>
        Assert.Equal(1, PeerStatusClassifier.SelectDynamicThrottle([75, 65, 55], Defaults));

    [Fact]
    public void SelectDynamicThrottle_Ties_LowestIndex() =>
        Assert.Equal(0, PeerStatusClassifier.SelectDynamicThrottle([20, 20, 20], Defaults));

    [Fact]
    public void SelectDynamicThrottle_AllOverloaded_MinusOne() =>
        Assert.Equal(-1, PeerStatusClassifier.SelectDynamicThrottle([70, 80, 95], Defaults));
}
