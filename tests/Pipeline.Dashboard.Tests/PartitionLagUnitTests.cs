using Pipeline.Dashboard;

namespace Pipeline.Dashboard.Tests;

public sealed class PartitionLagUnitTests
{
    [Theory]
    [InlineData(40, 0, 100, 60)]    // committed inside the log
    [InlineData(100, 0, 100, 0)]    // caught up
    [InlineData(-1, 0, 100, 100)]   // nothing committed: everything retained is pending
    [InlineData(-1001, 20, 100, 80)] // librdkafka's Offset.Unset, retention moved the start
    [InlineData(5, 20, 100, 80)]    // commit older than retention: restarts at the low watermark
    [InlineData(0, 0, 0, 0)]        // empty partition
    public void Compute_CommittedAndWatermarks_GivesPendingMessages(long committed, long low, long high, long expected) =>
        Assert.Equal(expected, PartitionLag.Compute(committed, low, high));

    [Fact]
    public void Lag_RecordUsesSameArithmetic() =>
        Assert.Equal(7, new PartitionLag("g", "t", 0, 3, 0, 10).Lag);

    [Fact]
    public void Compute_HighBelowLow_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionLag.Compute(0, 10, 5));
}
