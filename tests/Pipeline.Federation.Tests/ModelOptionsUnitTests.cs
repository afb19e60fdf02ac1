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
    public void ModelOptions_NoModels_IsTheSingleConfiguredModel()
    {
        var options = new FederationOptions { ModelName = "only", Detector = "pca" };

        Assert.Same(options, Assert.Single(options.ModelOptions()));
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
