using Pipeline.Testing;

namespace Pipeline.Platform.Tests;

/// <summary>docs/configuration.md lists every key of every options class, with the default and
/// meaning the class itself declares: scripts/config-docs.py regenerates the tables, and this test
/// fails (showing the difference) when a key was added, renamed or re-documented without them.</summary>
public sealed class ConfigurationDocsUnitTests
{
    [Fact]
    public void ConfigurationDoc_ComparedWithOptionsClasses_IsCurrent()
    {
        var python = Tools.Require("python3", "apt-get install -y python3");
        var script = Path.Combine(Tools.RepositoryRoot(), "scripts", "config-docs.py");

        var result = Tools.Run(python, [script, "--check"]);

        Assert.True(result.ExitCode == 0, $"{result.Stderr}\n{result.Stdout}");
    }
}
