using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Xunit;

namespace Pipeline.Testing;

/// <summary>One populated instance of every contract, with values that exercise every field kind
/// (negative longs, unions in both branches, non-ASCII strings, empty and non-empty arrays).</summary>
public static class ContractSamples
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);

    public static BlockEvent Block => new()
    {
        ClusterId = "cluster-2",
        Height = 81_234,
        BlockHash = new string('a', 64),
        PreviousHash = new string('b', 64),
        MinerId = "miner-7",
        Timestamp = T0,
        TransactionCount = 143,
        SizeBytes = 98_304,
        Difficulty = 1.25e12,
        Nonce = -42,
        TotalValue = 1234.5,
        TotalFees = 0.75,
        Reward = 6.25,
    };

    public static TransactionEvent Transaction => new()
    {
        ClusterId = "cluster-1",
        TransactionId = new string('c', 64),
        BlockHeight = null,
        FromAccount = "factory-3",
        ToAccount = "device-3-17",
        Amount = 12.5,
        Fee = 0.001,
        SizeBytes = 250,
        InputCount = 2,
        OutputCount = 3,
        AccountNonce = 99,
        PayloadBytes = 0,
        Timestamp = T0,
    };

    public static TransactionEvent ConfirmedTransaction => Transaction with { BlockHeight = 81_234, PayloadBytes = 80 };

    public static DeviceReading Reading => new()
    {
        ClusterId = "cluster-0",
        FactoryId = "factory-0",
        DeviceId = "tank-0-1",
        DeviceType = "tank",
        Sequence = 5_000_000_000,
        Timestamp = T0,
        Measurements = [new("level", 0.731), new("inflow", 12.02), new("pump", 1), new("pressure", -0.5)],
    };

    public static EndpointExecution Execution => new()
    {
        EndpointId = "vehicle-0042",
        Organisation = "OrgBR",
        UserId = "u-åsa",
        UserRole = "user",
        AppName = "chrome",
        AppVersion = "131.0",
        Platform = "linux-x64",
        Sha256 = new string('d', 64),
        LaunchId = "launch-9",
        ExecutablePath = "/opt/chrome/chrome",
        Timestamp = T0,
    };

    public static Alert Alert => new()
    {
        AlertId = AlertIds.Create(Topics.IiotTelemetry, 3, 1_000_000, 7, "anomaly"),
        EntityKey = "tank-0-1",
        Stream = "iiot",
        AlertType = "anomaly",
        Detector = "ned",
        Score = 3.5,
        Threshold = 1.2,
        ModelVersion = 7,
        EventTime = T0,
        DetectionTime = T0.AddMilliseconds(12),
        SourceTopic = Topics.IiotTelemetry,
        SourcePartition = 3,
        SourceOffset = 1_000_000,
        TopFeatures = [new("level.delta", 2.5)],
        Detail = "reconstruction error 3.5",
    };

    public static ExecutionVerdict Verdict => new()
    {
        EndpointId = "vehicle-0042",
        UserId = "u-1",
        LaunchId = "launch-9",
        Sha256 = new string('d', 64),
        AppName = "chrome",
        Decision = "deny",
        Reason = "unknown_hash",
        PeerId = "peer-2",
        LatencyMicros = 850,
        EventTime = T0,
        DecidedTime = T0,
    };

    public static ExecutionVerdict VerdictWithoutPeer => Verdict with { PeerId = null, Reason = "lookup_failure" };

    public static RoundAnnouncement Round => new()
    {
        ModelName = "iiot-ned",
        Round = 3,
        BaseVersion = 2,
        DetectorKind = "ned",
        Stream = Topics.IiotTelemetry,
        SelectedParticipants = ["cluster-0", "cluster-1"],
        MinParticipants = 2,
        Deadline = T0.AddSeconds(30),
        LocalEpochs = 4,
        BatchSize = 64,
        LearningRate = 0.03,
        AnnouncedAt = T0,
    };

    public static ModelUpdate Update => new()
    {
        ModelName = "iiot-ned",
        Round = 3,
        BaseVersion = 2,
        ParticipantId = "participant-1",
        ClusterId = "cluster-1",
        DetectorKind = "ned",
        SampleCount = 4096,
        Parameters = [1, 2, 3, 250],
        Compression = "float16",
        LocalMetrics = [new("loss", 0.02)],
        Nonce = "n-1",
        Signature = [9, 8, 7],
        CreatedAt = T0,
    };

    public static GlobalModel Global => new()
    {
        ModelName = "iiot-ned",
        Version = 3,
        Round = 3,
        DetectorKind = "ned",
        Stream = Topics.IiotTelemetry,
        Model = [0, 1, 2],
        Threshold = 1.2,
        Participants = ["participant-0", "participant-1"],
        Metrics = [],
        CreatedAt = T0,
    };

    public static ScaleRequest Scale => new()
    {
        RequestId = "scale-1",
        PeerGroup = "whitelist",
        Strategy = "DynamicThrottle",
        Reason = "no ready or available peer",
        ActivePeers = 4,
        RequestedAt = T0,
    };

    /// <summary>Every sample, each with the contract type it belongs to.</summary>
    public static TheoryData<string> Names => [.. AllNames];

    public static string[] AllNames =>
        ["Block", "Transaction", "ConfirmedTransaction", "Reading", "Execution", "Alert", "Verdict", "VerdictWithoutPeer", "Round", "Update", "Global", "Scale"];

    public static object ByName(string name) => name switch
    {
        "Block" => Block,
        "Transaction" => Transaction,
        "ConfirmedTransaction" => ConfirmedTransaction,
        "Reading" => Reading,
        "Execution" => Execution,
        "Alert" => Alert,
        "Verdict" => Verdict,
        "VerdictWithoutPeer" => VerdictWithoutPeer,
        "Round" => Round,
        "Update" => Update,
        "Global" => Global,
        "Scale" => Scale,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Encodes a sample through the generic single-object API.</summary>
    public static byte[] Encode(object sample) => sample switch
    {
        BlockEvent x => AvroSingleObject.Encode(x),
        TransactionEvent x => AvroSingleObject.Encode(x),
        DeviceReading x => AvroSingleObject.Encode(x),
        EndpointExecution x => AvroSingleObject.Encode(x),
        Alert x => AvroSingleObject.Encode(x),
        ExecutionVerdict x => AvroSingleObject.Encode(x),
        RoundAnnouncement x => AvroSingleObject.Encode(x),
        ModelUpdate x => AvroSingleObject.Encode(x),
        GlobalModel x => AvroSingleObject.Encode(x),
        ScaleRequest x => AvroSingleObject.Encode(x),
        _ => throw new ArgumentException(sample.GetType().Name),
    };
}
