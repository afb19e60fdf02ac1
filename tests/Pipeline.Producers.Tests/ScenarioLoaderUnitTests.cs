using System.Security.Cryptography;
using System.Text;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

public sealed class ScenarioLoaderUnitTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine([dir!.FullName, .. parts]);
    }

    [Fact]
    public void Load_DefaultScenarioFile_GivesTheSameStreamAsTheBuiltInDefaults()
    {
        var fromFile = ScenarioLoader.Load(RepoFile("producers", "scenarios", "default.json"));

        Assert.Equal(Hash(new ScenarioWorld(ScenarioLoader.Default, 9)), Hash(new ScenarioWorld(fromFile, 9)));
    }

    [Fact]
    public void Parse_MalformedJson_NamesFileAndLine()
    {
        const string json = "{\n  \"name\": \"x\",\n  \"clusters\": 3\n  \"iiot\": {}\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal("bad.json", ex.FilePath);
        Assert.Equal(4, ex.Line);
        Assert.StartsWith("bad.json:4:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WrongType_NamesLineAndField()
    {
        const string json = "{\n  \"clusters\": 2,\n  \"iiot\": {\n    \"stagesPerFactory\": \"two\"\n  }\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal(4, ex.Line);
        Assert.Equal("$.iiot.stagesPerFactory", ex.Field);
    }

    [Fact]
    public void Parse_UnknownProperty_IsRefusedWithItsPath()
    {
        const string json = "{\n  \"chain\": {\n    \"minersPerCluser\": 3\n  }\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Contains("minersPerCluser", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.Line);
    }

    [Fact]
    public void Parse_OutOfRangeValue_PointsAtItsLine()
    {
        const string json = "{\n  \"name\": \"x\",\n  \"clusters\": 0\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal(3, ex.Line);
        Assert.Equal("$.clusters", ex.Field);
        Assert.Contains("between 1 and 1000", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownAttack_ListsTheKnownOnes()
    {
        const string json = "{\n  \"iiot\": {\n    \"attacks\": {\n      \"replay\": 0.01,\n      \"teleport\": 0.01\n    }\n  }\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal(5, ex.Line);
        Assert.Equal("$.iiot.attacks.teleport", ex.Field);
        Assert.Contains("sensor_spoofing", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RatesTheStreamCannotCarry_AreRefused()
    {
        const string json = "{ \"chain\": { \"attacks\": { \"tx_flooding\": 0.5, \"double_spend\": 0.5 } } }";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal("$.chain.attacks", ex.Field);
    }

    [Fact]
    public void Parse_ErrorInsideAnArray_PointsAtTheElementLine()
    {
        const string json = "{\n \"endpoints\": {\n  \"organisations\": [\n   { \"id\": \"hq\", \"vehicles\": 1 },\n   { \"id\": \"hq\", \"vehicles\": 1 }\n  ]\n }\n}";

        var ex = Assert.Throws<ScenarioFormatException>(() => Parse(json));

        Assert.Equal("$.endpoints.organisations[1].id", ex.Field);
        Assert.Equal(5, ex.Line);
    }

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        var ex = Assert.Throws<ScenarioFormatException>(() => ScenarioLoader.Load("/nonexistent/scenario.json"));

        Assert.Equal("/nonexistent/scenario.json", ex.FilePath);
    }

    private static ScenarioDefinition Parse(string json) => ScenarioLoader.Parse(Encoding.UTF8.GetBytes(json), "bad.json");

    private static string Hash(ScenarioWorld world)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var m in TestScenarios.Take(world, ProducerDomains.All, 20_000))
        {
            sha.AppendData(m.Value);
            sha.AppendData(Encoding.UTF8.GetBytes(m.Label!));
        }
        sha.AppendData(Pipeline.Producers.Catalogue.CatalogueJson.Serialize(world.BuildCatalogue() with { Scenario = "" }));
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
