using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// One federation's throw-away world on the embedded broker: <c>fl.rounds</c>, <c>fl.model-updates</c>,
/// <c>fl.global-model</c> and <c>iiot.telemetry</c> under a unique topic prefix, a key directory of its own, the real
/// coordinator and participants started on them (stopped and disposed with this object), and whole-topic reads to
/// assert on what was published.
/// </summary>
internal sealed class FederationTopics : IAsyncDisposable
{
    private readonly List<BackgroundService> _running = [];
    private readonly List<ECDsa> _keys = [];

    private FederationTopics(string prefix, KafkaClientFactory clients, ParticipantKeyDirectory keys)
    {
        Prefix = prefix;
        Clients = clients;
        Keys = keys;
    }

    /// <summary>The topic prefix, <c>&lt;hint&gt;-&lt;guid&gt;.</c>.</summary>
    public string Prefix { get; }

    /// <summary>Clients that see this federation's topics under their plain names.</summary>
    public KafkaClientFactory Clients { get; }

    /// <summary>This federation's key directory (registered public keys and the participants' private keys).</summary>
    public ParticipantKeyDirectory Keys { get; }

    /// <summary>Creates the topics (one partition each, so arrival order is the order produced) and the key directory.</summary>
    /// <param name="kafka">The embedded broker.</param>
    /// <param name="hint">Start of the topic prefix, names the test in the broker's topic list.</param>
    /// <param name="consumer">Consumer settings laid over the factory's defaults (null = none).</param>
    public static FederationTopics Create(KafkaFixture kafka, string hint, ConsumerConfig? consumer = null)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        var prefix = $"{hint}-{Guid.NewGuid():N}.";
        foreach (var topic in new[] { Topics.FlRounds, Topics.FlModelUpdates, Topics.FlGlobalModel, Topics.IiotTelemetry }) kafka.Broker.CreateTopic(prefix + topic, 1);
        var clients = new KafkaClientFactory(kafka.BootstrapServers, new KafkaOptions { BootstrapServers = kafka.BootstrapServers, TopicPrefix = prefix, Consumer = consumer ?? new() });
        return new FederationTopics(prefix, clients, new ParticipantKeyDirectory(Path.Combine(Path.GetTempPath(), prefix + "keys")));
    }

    /// <summary>
    /// Points <paramref name="options"/> at this federation: its key directory, and a model name that carries part of the
    /// prefix — consumer group ids carry the model name but not the topic prefix, so federations side by side on one
    /// broker need their own model names, or their coordinators share a group.
    /// </summary>
    public FederationOptions Isolate(FederationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.KeyDirectory = Keys.Path;
        options.ModelName = $"{options.ModelName}-{Prefix[(Prefix.IndexOf('-', StringComparison.Ordinal) + 1)..][..8]}";
        return options;
    }

    /// <summary>Produces each cluster's readings to <c>iiot.telemetry</c>, with the simulators' <c>label</c> header when <paramref name="attacks"/> is given.</summary>
    public void Produce(IReadOnlyDictionary<string, List<DeviceReading>> readings, IReadOnlyDictionary<string, bool[]>? attacks = null)
    {
        ArgumentNullException.ThrowIfNull(readings);
        using var producer = Clients.CreateProducer("federation-test-data");
        foreach (var (cluster, list) in readings)
        {
            for (var i = 0; i < list.Count; i++)
            {
                var message = new Message<string?, byte[]> { Key = list[i].FactoryId, Value = AvroSingleObject.Encode(list[i]) };
                if (attacks is not null)
                {
                    var label = attacks[cluster][i] ? AttackLabels.SensorSpoofing : AttackLabels.Normal;
                    message.Headers = new Headers { { AttackLabels.HeaderName, Encoding.UTF8.GetBytes(label) } };
                }

                producer.Produce(Clients.Topic(Topics.IiotTelemetry), message);
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts a real coordinator on these topics.</summary>
    public async Task<FederationCoordinator> StartCoordinatorAsync(FederationOptions options)
    {
        var coordinator = new FederationCoordinator(Clients, options, Keys, NullLogger<FederationCoordinator>.Instance);
        _running.Add(coordinator);
        await coordinator.StartAsync(CancellationToken.None);
        return coordinator;
    }

    /// <summary>
    /// Registers the key of <paramref name="cluster"/>'s participant (created on first use) and starts the participant;
    /// <paramref name="intercept"/> (the internal test hook) may rewrite or hold its training updates.
    /// </summary>
    public async Task<FederationParticipant> StartParticipantAsync(FederationOptions options, string cluster, Func<ModelUpdate, ModelBundle?, ECDsa, ModelUpdate>? intercept = null)
    {
        var participant = new FederationParticipant(Clients, options, cluster, Register(cluster), NullLogger<FederationParticipant>.Instance) { UpdateInterceptor = intercept };
        _running.Add(participant);
        await participant.StartAsync(CancellationToken.None);
        return participant;
    }

    /// <summary>Registers (creates on first use) the key of <paramref name="cluster"/>'s participant, without running it.</summary>
    public ECDsa Register(string cluster)
    {
        var key = Keys.LoadOrCreatePrivateKey(FederationOptions.ParticipantIdFor(cluster));
        _keys.Add(key);
        return key;
    }

    /// <summary>Stops <paramref name="service"/> (cancels its token and waits for its loops to end) and disposes it.</summary>
    public async Task StopAsync(BackgroundService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!_running.Remove(service)) throw new InvalidOperationException("The service was not started here or is already stopped.");
        await service.StopAsync(CancellationToken.None);
        service.Dispose();
    }

    /// <summary>Every record of <paramref name="topic"/> (plain name) from its beginning to its current end, in offset order.</summary>
    public IReadOnlyList<T> Read<T>(string topic) where T : IAvroRecord<T>
    {
        var records = new List<T>();
        TopicSnapshot.ReadToEnd(Clients, Clients.Topic(topic), "federation-test-reader", r =>
        {
            if (r.Message.Value is not null) records.Add(AvroSingleObject.Decode<T>(r.Message.Value));
        }, TimeSpan.FromSeconds(30), CancellationToken.None);
        return records;
    }

    /// <summary>Stops what is still running (coordinators first, as <see cref="FederationHost"/> does), disposes the keys and deletes the key directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var service in _running.OrderBy(s => s is FederationCoordinator ? 0 : 1).ToList()) await StopAsync(service);
        foreach (var key in _keys) key.Dispose();
        if (Directory.Exists(Keys.Path)) Directory.Delete(Keys.Path, recursive: true);
    }
}
