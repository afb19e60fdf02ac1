using Microsoft.Extensions.Configuration;

namespace Pipeline.Platform;

/// <summary>The one way every process reads its configuration: appsettings.json beside the
/// binary, then environment variables (PIPELINE__Section__Key), then explicit KEY=VALUE overrides
/// (the CLI's --set), the later winning.</summary>
public static class PipelineConfiguration
{
    public const string EnvironmentPrefix = "PIPELINE__";

    public static IConfigurationRoot Build(IEnumerable<string>? overrides = null)
    {
        var pairs = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in overrides ?? [])
        {
            var at = item.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new FormatException($"'{item}' is not KEY=VALUE (example: Kafka:BootstrapServers=localhost:9092)");
            }
            pairs[item[..at].Trim()] = item[(at + 1)..];
        }
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(pairs)
            .Build();
    }

    /// <summary>Binds a section into a new options object.</summary>
    public static T Bind<T>(this IConfiguration configuration, string sectionName) where T : new()
    {
        var options = new T();
        configuration.GetSection(sectionName).Bind(options);
        return options;
    }
}
