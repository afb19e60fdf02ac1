using System.Runtime.InteropServices;
using System.Text;

namespace Pipeline.Platform.Kafka;

/// <summary>The few librdkafka entry points the embedded broker needs, bound to the very file
/// Confluent.Kafka uses.</summary>
/// <remarks>On Debian 12 the plain linux-x64 librdkafka.so does not load (it needs libsasl2.so.3),
/// and Confluent.Kafka falls back to centos8-librdkafka.so. We let it choose, then
/// bind to the file Confluent.Kafka mapped (read from /proc/self/maps), so clients and the mock
/// cluster share one copy of the library.</remarks>
internal static unsafe class LibrdkafkaNative
{
    private static readonly Lazy<Exports> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static Exports Api => Loaded.Value;

    /// <summary>The library file in use.</summary>
    internal static string LibraryPath => Loaded.Value.Path;

    internal sealed class Exports
    {
        public required string Path { get; init; }
        public required delegate* unmanaged<nint> ConfNew { get; init; }
        public required delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> ConfSet { get; init; }
        public required delegate* unmanaged<int, nint, byte*, nuint, nint> New { get; init; }
        public required delegate* unmanaged<nint, void> Destroy { get; init; }
        public required delegate* unmanaged<nint, int, nint> MockClusterNew { get; init; }
        public required delegate* unmanaged<nint, void> MockClusterDestroy { get; init; }
        public required delegate* unmanaged<nint, nint> MockClusterBootstraps { get; init; }
        public required delegate* unmanaged<nint, byte*, int, int, int> MockTopicCreate { get; init; }
        public required delegate* unmanaged<nint, int, void> MockSetControllerId { get; init; }
        public required delegate* unmanaged<nint, int, int> MockBrokerSetDown { get; init; }
        public required delegate* unmanaged<nint, int, int> MockBrokerSetUp { get; init; }
        public required delegate* unmanaged<nint, byte*, int, int, int> MockPartitionSetLeader { get; init; }
        public required delegate* unmanaged<nint, int, void> MockGroupInitialRebalanceDelayMs { get; init; }
        public required delegate* unmanaged<nint, short, nuint, int*, void> MockPushRequestErrorsArray { get; init; }
        public required delegate* unmanaged<int, nint> Err2Str { get; init; }
    }

    internal static string ErrorText(int code) => Marshal.PtrToStringUTF8(Api.Err2Str(code)) ?? $"error {code}";

    /// <summary>NUL-terminated UTF-8 for native calls.</summary>
    internal static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value + "\0");

    private static Exports Load()
    {
        // Let Confluent.Kafka pick and load its library first (its explicit-path loader needs a
        // "libdl.so" that Debian 12 does not have), then bind to whichever file it mapped.
        _ = Confluent.Kafka.Library.Version;
        var loaded = MappedLibrdkafka();
        if (loaded is not null && NativeLibrary.TryLoad(loaded, out var handle))
        {
            return Bind(loaded, handle);
        }
        var candidates = CandidatePaths().Where(File.Exists).ToList();
        foreach (var path in candidates)
        {
            if (NativeLibrary.TryLoad(path, out handle))
            {
                return Bind(path, handle);
            }
        }
        throw new DllNotFoundException(
            "No loadable librdkafka found for the embedded broker. Tried: " + string.Join(", ", candidates) +
            ". The librdkafka.redist package (a Confluent.Kafka dependency) ships these files.");
    }

    /// <summary>The librdkafka file mapped into this process, read from /proc/self/maps.</summary>
    private static string? MappedLibrdkafka()
    {
        const string Maps = "/proc/self/maps";
        if (!File.Exists(Maps))
        {
            return null;
        }
        foreach (var line in File.ReadLines(Maps))
        {
            var at = line.IndexOf('/', StringComparison.Ordinal);
            if (at >= 0 && line.Contains("librdkafka", StringComparison.Ordinal))
            {
                return line[at..].Trim();
            }
        }
        return null;
    }

    private static IEnumerable<string> CandidatePaths()
    {
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var dirs = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"),
            AppContext.BaseDirectory,
        };
        // Framework-dependent library builds resolve native assets from the NuGet cache.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var redist = Path.Combine(cache, "librdkafka.redist");
        if (Directory.Exists(redist))
        {
            dirs.AddRange(Directory.GetDirectories(redist).OrderDescending().Select(v => Path.Combine(v, "runtimes", rid, "native")));
        }
        foreach (var dir in dirs)
        {
            yield return Path.Combine(dir, "librdkafka.so");
            yield return Path.Combine(dir, "centos8-librdkafka.so");
        }
    }

    private static Exports Bind(string path, nint lib)
    {
        nint F(string name) => NativeLibrary.TryGetExport(lib, name, out var p)
            ? p
            : throw new EntryPointNotFoundException($"{path} has no export {name}; its librdkafka is too old for the embedded broker");

        return new Exports
        {
            Path = path,
            ConfNew = (delegate* unmanaged<nint>)F("rd_kafka_conf_new"),
            ConfSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)F("rd_kafka_conf_set"),
            New = (delegate* unmanaged<int, nint, byte*, nuint, nint>)F("rd_kafka_new"),
            Destroy = (delegate* unmanaged<nint, void>)F("rd_kafka_destroy"),
            MockClusterNew = (delegate* unmanaged<nint, int, nint>)F("rd_kafka_mock_cluster_new"),
            MockClusterDestroy = (delegate* unmanaged<nint, void>)F("rd_kafka_mock_cluster_destroy"),
            MockClusterBootstraps = (delegate* unmanaged<nint, nint>)F("rd_kafka_mock_cluster_bootstraps"),
            MockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)F("rd_kafka_mock_topic_create"),
            MockSetControllerId = (delegate* unmanaged<nint, int, void>)F("rd_kafka_mock_set_controller_id"),
            MockBrokerSetDown = (delegate* unmanaged<nint, int, int>)F("rd_kafka_mock_broker_set_down"),
            MockBrokerSetUp = (delegate* unmanaged<nint, int, int>)F("rd_kafka_mock_broker_set_up"),
            MockPartitionSetLeader = (delegate* unmanaged<nint, byte*, int, int, int>)F("rd_kafka_mock_partition_set_leader"),
            MockGroupInitialRebalanceDelayMs = (delegate* unmanaged<nint, int, void>)F("rd_kafka_mock_group_initial_rebalance_delay_ms"),
            MockPushRequestErrorsArray = (delegate* unmanaged<nint, short, nuint, int*, void>)F("rd_kafka_mock_push_request_errors_array"),
            Err2Str = (delegate* unmanaged<int, nint>)F("rd_kafka_err2str"),
        };
    }
}
