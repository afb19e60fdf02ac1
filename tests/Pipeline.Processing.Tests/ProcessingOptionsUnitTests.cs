using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;

namespace Pipeline.Processing.Tests;

public sealed class ProcessingOptionsUnitTests
{
    [Fact]
    public void MaxBatchesInFlight_SetOnTheCommandLine_IsBoundAndValid()
    {
        var options = PipelineConfiguration.Build(["Processing:MaxBatchesInFlight=8"]).Bind<ProcessingOptions>(ProcessingOptions.SectionName);

        options.Validate();
        Assert.Equal(8, options.MaxBatchesInFlight);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4097)]
    public void Validate_MaxBatchesInFlightOutOfRange_NamesTheKeyAndTheValue(int value)
    {
        var error = Assert.Throws<ArgumentException>(() => new ProcessingOptions { MaxBatchesInFlight = value }.Validate());

        Assert.Contains("Processing:MaxBatchesInFlight", error.Message, StringComparison.Ordinal);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WarmupRecords_SetOnTheCommandLine_IsBoundAndValid()
    {
        var options = PipelineConfiguration.Build(["Processing:Scoring:WarmupRecords=0"]).Bind<ScoringOptions>(ScoringOptions.SectionName);

        options.Validate();
        Assert.Equal(0, options.WarmupRecords);
        Assert.Equal(1000, new ScoringOptions().WarmupRecords);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public void Validate_WarmupRecordsOutOfRange_NamesTheKeyAndTheValue(int value)
    {
        var error = Assert.Throws<ArgumentException>(() => new ScoringOptions { WarmupRecords = value }.Validate());

        Assert.Contains("Processing:Scoring:WarmupRecords", error.Message, StringComparison.Ordinal);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }
}
