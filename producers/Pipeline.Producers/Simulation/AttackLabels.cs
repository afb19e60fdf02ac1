namespace Pipeline.Producers.Simulation;

/// <summary>Values of the <c>label</c> header: "normal" or one attack type per domain.</summary>
public static class AttackLabels
{
    /// <summary>Name of the Kafka header that carries the label.</summary>
    public const string HeaderName = "label";

    public const string Normal = "normal";

    // Blockchain.
    public const string DoubleSpend = "double_spend";
    public const string FakeBlock = "fake_block";
    public const string ForkBurst = "fork_burst";
    public const string MinerDominance = "miner_dominance";
    public const string TxFlooding = "tx_flooding";
    public const string HiddenMessage = "hidden_message";

    // IIoT.
    public const string SensorSpoofing = "sensor_spoofing";
    public const string ActuatorManipulation = "actuator_manipulation";
    public const string Replay = "replay";
    public const string SlowDrift = "slow_drift";

    // Endpoints.
    public const string UnknownBinary = "unknown_binary";
    public const string ModifiedBinary = "modified_binary";
    public const string AdminToolByUser = "admin_tool_by_user";
    public const string LateralMovement = "lateral_movement";

    /// <summary>Attacks on blocks (their rate is a fraction of chain.blocks messages).</summary>
    public static IReadOnlyList<string> BlockAttacks { get; } = [FakeBlock, ForkBurst, MinerDominance];

    /// <summary>Attacks on transactions (their rate is a fraction of chain.transactions messages).</summary>
    public static IReadOnlyList<string> TransactionAttacks { get; } = [DoubleSpend, TxFlooding, HiddenMessage];

    /// <summary>Chain attacks, as the scenario's chain.attacks keys.</summary>
    public static IReadOnlyList<string> ChainAttacks { get; } = [DoubleSpend, FakeBlock, ForkBurst, MinerDominance, TxFlooding, HiddenMessage];

    /// <summary>IIoT attacks (fractions of iiot.telemetry messages).</summary>
    public static IReadOnlyList<string> IiotAttacks { get; } = [SensorSpoofing, ActuatorManipulation, Replay, SlowDrift];

    /// <summary>Endpoint attacks (fractions of endpoint.executions messages).</summary>
    public static IReadOnlyList<string> EndpointAttacks { get; } = [UnknownBinary, ModifiedBinary, AdminToolByUser, LateralMovement];
}
