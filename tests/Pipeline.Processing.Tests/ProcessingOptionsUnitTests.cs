using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Platform;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;

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
}
