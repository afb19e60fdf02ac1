using Pipeline.Contracts;

namespace Pipeline.Federation.Tests;

public sealed class ModelOptionsUnitTests
{
    [Fact]
    public void ModelOptions_DefaultModels_OneModelPerScoredTopicWithSharedSettings()
    {
        var options = new FederationOptions { Models = FederationOptions.DefaultModels, LocalEpochs = 2, KeyDirectory = "k" };

        var models = options.ModelOptions();

        Assert.Equal([Topics.IiotTelemetry, Topics.ChainBlocks, Topics.ChainTransactions], models.Select(m => m.Stream));
        Assert.Equal(models.Count, models.Select(m => m.ModelName).Distinct().Count());
        Assert.All(models, m => Assert.Equal((2, "k", ""), (m.LocalEpochs, m.KeyDirectory, m.Models)));
        Assert.Equal(40, models[1].MinLocalSamples);
        Assert.Equal(options.MinLocalSamples, models[0].MinLocalSamples);
    }

    [Fact]
    public void Layout_ChainBlocks_CarriesTheBlockConfirmationsAndOtherStreamsNone()
    {
        var blocks = new FederationOptions { Stream = Topics.ChainBlocks, BlockConfirmations = 4 }.Layout();
        var byDefault = new FederationOptions { Stream = Topics.ChainBlocks }.Layout();
        var telemetry = new FederationOptions { Stream = Topics.IiotTelemetry, BlockConfirmations = 4 }.Layout();

        Assert.Equal(4, blocks.Confirmations);
        Assert.Equal(Pipeline.Detection.BundleLayout.DefaultBlockConfirmations, byDefault.Confirmations);
        Assert.Equal(0, telemetry.Confirmations);
    }

    [Theory]
    [InlineData(Topics.ChainBlocks, null, false)]
    [InlineData(Topics.IiotTelemetry, null, true)]
    [InlineData(Topics.ChainTransactions, null, true)]
    [InlineData(Topics.ChainBlocks, true, true)]
    [InlineData(Topics.IiotTelemetry, false, false)]
    public void DetectorOptions_Ned_ResidualWeightingPerStreamUnlessConfigured(string stream, bool? configured, bool expected)
    {
        var options = new FederationOptions { Stream = stream, Detector = "ned", NedResidualWeighting = configured };

        var ned = (Pipeline.Detection.NedOptions)options.DetectorOptions(4, 32, 0.03);

        Assert.Equal(expected, ned.ResidualWeighting);
    }

    [Theory]
    [InlineData(Topics.ChainBlocks, null, 0.2)]
    [InlineData(Topics.IiotTelemetry, null, 0)]
    [InlineData(Topics.ChainTransactions, null, 0.03)]
    [InlineData(Topics.ChainBlocks, 0.0, 0)]
    [InlineData(Topics.IiotTelemetry, 0.05, 0.05)]
    public void DetectorOptions_Ned_TrimFractionPerStreamUnlessConfigured(string stream, double? configured, double expected)
    {
        var options = new FederationOptions { Stream = stream, Detector = "ned", NedTrimFraction = configured };

        var ned = (Pipeline.Detection.NedOptions)options.DetectorOptions(4, 32, 0.03);

        Assert.Equal(expected, ned.TrimFraction);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(0.5)]
    public void Validate_NedTrimFractionOutOfRange_NamesTheSetting(double trim)
    {
        var options = new FederationOptions { Stream = Topics.ChainBlocks, Detector = "ned", NedTrimFraction = trim };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Federation:NedTrimFraction", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Topics.IiotTelemetry, null, null, 0.05)]
    [InlineData(Topics.ChainBlocks, null, null, 0.2)]
    [InlineData(Topics.ChainTransactions, null, null, 0.03)]
    [InlineData(Topics.IiotTelemetry, 0.0, null, 0)] // a configured first-fit trim carries over to the rounds
    [InlineData(Topics.IiotTelemetry, 0.0, 0.1, 0.1)]
    [InlineData(Topics.ChainBlocks, null, 0.0, 0)]
    public void NedRoundTrim_PerStreamUnlessConfigured(string stream, double? firstFit, double? rounds, double expected)
    {
        var options = new FederationOptions { Stream = stream, Detector = "ned", NedTrimFraction = firstFit, NedRoundTrimFraction = rounds };

        Assert.Equal(expected, options.NedRoundTrim);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(0.5)]
    public void Validate_NedRoundTrimFractionOutOfRange_NamesTheSetting(double trim)
    {
        var options = new FederationOptions { Stream = Topics.IiotTelemetry, Detector = "ned", NedRoundTrimFraction = trim };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Federation:NedRoundTrimFraction", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DetectorOptions_Ned_TrimIterationsAsConfigured()
    {
        var defaults = (Pipeline.Detection.NedOptions)new FederationOptions { Stream = Topics.ChainBlocks, Detector = "ned" }.DetectorOptions(4, 32, 0.03);
        var three = (Pipeline.Detection.NedOptions)new FederationOptions { Stream = Topics.ChainBlocks, Detector = "ned", NedTrimIterations = 3 }.DetectorOptions(4, 32, 0.03);

        Assert.Equal(2, defaults.TrimIterations);
        Assert.Equal(3, three.TrimIterations);
    }

    [Fact]
    public void Validate_NedTrimIterationsBelowOne_NamesTheSetting()
    {
        var options = new FederationOptions { Stream = Topics.ChainBlocks, Detector = "ned", NedTrimIterations = 0 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Federation:NedTrimIterations", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelOptions_NoModels_IsTheSingleConfiguredModel()
    {
        var options = new FederationOptions { ModelName = "only", Detector = "pca" };

        Assert.Same(options, Assert.Single(options.ModelOptions()));
    }

    [Fact]
    public void DetectorOptions_Ned_SupportClampOffUnlessConfigured()
    {
        var byDefault = (Pipeline.Detection.NedOptions)new FederationOptions().DetectorOptions(4, 32, 0.03);
        var configured = (Pipeline.Detection.NedOptions)new FederationOptions { NedSupportFence = 3 }.DetectorOptions(4, 32, 0.03);

        Assert.Equal(double.PositiveInfinity, byDefault.SupportFence);
        Assert.Equal(3, configured.SupportFence);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Validate_NonPositiveNedSupportFence_NamesTheKey(double fence)
    {
        var error = Assert.Throws<ArgumentException>(() => new FederationOptions { NedSupportFence = fence }.Validate());

        Assert.Contains("Federation:NedSupportFence", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Topics.ChainBlocks, null, 0.85)]
    [InlineData(Topics.ChainTransactions, null, 0.9)]
    [InlineData(Topics.IiotTelemetry, null, 0.9)]
    [InlineData(Topics.ChainBlocks, 0.9, 0.9)]
    [InlineData(Topics.ChainTransactions, 0.8, 0.8)]
    public void DetectorOptions_Cblof_AlphaPerStreamUnlessConfigured(string stream, double? configured, double expected)
    {
        var options = new FederationOptions { Stream = stream, Detector = "cblof", CblofAlpha = configured };

        var cblof = (Pipeline.Detection.CblofOptions)options.DetectorOptions(4, 32, 0.03);

        Assert.Equal(expected, cblof.Alpha);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Validate_CblofAlphaOutsideZeroToOne_NamesTheKey(double alpha)
    {
        var error = Assert.Throws<ArgumentException>(() => new FederationOptions { Detector = "cblof", CblofAlpha = alpha }.Validate());

        Assert.Contains("Federation:CblofAlpha", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a:iiot.telemetry", "name:stream:detector")]
    [InlineData("a:iiot.telemetry:ned, a:chain.blocks:pca", "'a' twice")]
    [InlineData("a:endpoint.executions:ned", "Federation:Stream")]
    [InlineData("a:chain.blocks:svm", "Unknown detector 'svm'")]
    [InlineData("a:chain.blocks:pca:many", "'many' is not an integer")]
    public void Validate_BadModelsEntry_NamesTheProblem(string models, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new FederationOptions { Models = models }.Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
