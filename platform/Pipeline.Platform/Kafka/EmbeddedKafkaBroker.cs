using System.Runtime.InteropServices;
using Pipeline.Contracts;

namespace Pipeline.Platform.Kafka;

/// <summary>An in-process Kafka cluster: librdkafka's mock cluster, which speaks the real Kafka
/// protocol on loopback TCP ports, so any Kafka client (ours, kcat, another process) can use it.</summary>
/// <remarks>
/// Limits, all from librdkafka's mock implementation: the admin CreateTopics/DeleteTopics/
/// DescribeConfigs requests are unsupported (topics are created here with
/// <see cref="CreateTopic"/>); auto-created topics get 4 partitions; each partition keeps at most
/// 5 MiB or 100,000 message batches and evicts older data; transactions are accepted but
/// read_committed isolation is not enforced, so exactly-once cannot be proven on it.
/// Thread-safe: every control call is posted to the mock cluster's own thread.
/// </remarks>
public sealed unsafe class EmbeddedKafkaBroker : IDisposable
{
    private readonly object _gate = new();
    private nint _handle;
    private nint _cluster;

    private EmbeddedKafkaBroker(nint handle, nint cluster, int brokers)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(LibrdkafkaNative.Api.MockClusterBootstraps(cluster))
            ?? throw new EmbeddedBrokerException("the mock cluster reported no bootstrap address");
    }

    /// <summary>Comma-separated host:port list of the brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>Brokers have ids 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>The librdkafka file that hosts the cluster (the one Confluent.Kafka uses).</summary>
    public static string LibraryPath => LibrdkafkaNative.LibraryPath;

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers and creates <paramref name="topics"/>.</summary>
    /// <param name="brokers">Number of brokers (ids 1..n); broker 1 is the controller.</param>
    /// <param name="topics">Topics to create up front, e.g. <see cref="Topics.All"/>.</param>
    /// <param name="topicPrefix">Prefix for the topic names.</param>
    /// <param name="initialRebalanceDelayMs">How long a new consumer group waits for more members
    /// before its first assignment (Kafka's group.initial.rebalance.delay.ms).</param>
    public static EmbeddedKafkaBroker Start(
        int brokers = 1,
        IEnumerable<TopicDefinition>? topics = null,
        string topicPrefix = "",
        int initialRebalanceDelayMs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var api = LibrdkafkaNative.Api;
        var conf = api.ConfNew();
        Set(conf, "client.id", "pipeline-embedded-broker");
        Set(conf, "log_level", "3");
        var error = new byte[512];
        nint handle;
        fixed (byte* e = error)
        {
            handle = api.New(0 /* RD_KAFKA_PRODUCER */, conf, e, (nuint)error.Length);
        }
        if (handle == 0)
        {
            throw new EmbeddedBrokerException("rd_kafka_new failed: " + System.Text.Encoding.UTF8.GetString(error).TrimEnd('\0'));
        }
        var cluster = api.MockClusterNew(handle, brokers);
        if (cluster == 0)
        {
            api.Destroy(handle);
            throw new EmbeddedBrokerException($"rd_kafka_mock_cluster_new could not start {brokers} brokers");
        }
        // Admin requests time out until the cluster has a controller.
        api.MockSetControllerId(cluster, 1);
        api.MockGroupInitialRebalanceDelayMs(cluster, initialRebalanceDelayMs);
        var broker = new EmbeddedKafkaBroker(handle, cluster, brokers);
        foreach (var topic in topics ?? [])
        {
            broker.CreateTopic(topicPrefix + topic.Name, topic.Partitions);
        }
        return broker;
    }

    /// <summary>Creates a topic; replication defaults to min(3, brokers).</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var replication = replicationFactor > 0 ? replicationFactor : Math.Min(3, BrokerCount);
        var utf8 = LibrdkafkaNative.Utf8(name);
        fixed (byte* n = utf8)
        {
            Check(LibrdkafkaNative.Api.MockTopicCreate(Cluster, n, partitions, replication), $"create topic {name}");
        }
    }

    /// <summary>Disconnects a broker and refuses new connections (no leader change).</summary>
    public void SetBrokerDown(int brokerId) =>
        Check(LibrdkafkaNative.Api.MockBrokerSetDown(Cluster, brokerId), $"set broker {brokerId} down");

    /// <summary>Lets a broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId) =>
        Check(LibrdkafkaNative.Api.MockBrokerSetUp(Cluster, brokerId), $"set broker {brokerId} up");

    /// <summary>Moves a partition's leadership to <paramref name="brokerId"/> (-1: leaderless).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        var utf8 = LibrdkafkaNative.Utf8(topic);
        fixed (byte* t = utf8)
        {
            Check(LibrdkafkaNative.Api.MockPartitionSetLeader(Cluster, t, partition, brokerId), $"move {topic}[{partition}] to broker {brokerId}");
        }
    }

    /// <summary>The next requests of kind <paramref name="apiKey"/> (e.g. 0 = Produce) fail with
    /// <paramref name="errors"/>, in order.</summary>
    public void PushRequestErrors(short apiKey, params Confluent.Kafka.ErrorCode[] errors)
    {
        var codes = errors.Select(e => (int)e).ToArray();
        fixed (int* c = codes)
        {
            LibrdkafkaNative.Api.MockPushRequestErrorsArray(Cluster, apiKey, (nuint)codes.Length, c);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                LibrdkafkaNative.Api.MockClusterDestroy(_cluster);
                _cluster = 0;
            }
            if (_handle != 0)
            {
                LibrdkafkaNative.Api.Destroy(_handle);
                _handle = 0;
            }
        }
    }

    private nint Cluster
    {
        get
        {
            var cluster = _cluster;
            ObjectDisposedException.ThrowIf(cluster == 0, this);
            return cluster;
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new EmbeddedBrokerException($"could not {what}: {LibrdkafkaNative.ErrorText(error)}");
        }
    }

    private static void Set(nint conf, string name, string value)
    {
        var n = LibrdkafkaNative.Utf8(name);
        var v = LibrdkafkaNative.Utf8(value);
        var error = new byte[256];
        fixed (byte* pn = n, pv = v, pe = error)
        {
            if (LibrdkafkaNative.Api.ConfSet(conf, pn, pv, pe, (nuint)error.Length) != 0)
            {
                throw new EmbeddedBrokerException($"rd_kafka_conf_set {name}={value}: {System.Text.Encoding.UTF8.GetString(error).TrimEnd('\0')}");
            }
        }
    }
}
