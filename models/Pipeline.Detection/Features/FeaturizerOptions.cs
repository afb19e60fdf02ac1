namespace Pipeline.Detection;

/// <summary>Temporal-context settings shared by the featurizers.</summary>
public sealed record FeaturizerOptions
{
    /// <summary>Events per entity in the rolling window (rolling mean/std, repeat detection).</summary>
    public int Window { get; init; } = 16;

    /// <summary>Entities whose context is kept; the least recently seen is evicted beyond this.</summary>
    public int MaxEntities { get; init; } = 50_000;

    /// <summary>Readings per device whose exact fingerprints are kept to recognise replays (8 bytes each; 0 disables).</summary>
    public int ReplayMemory { get; init; } = 1024;

    /// <summary>Weight of a new value in the slow baseline that makes gradual drift visible (≈ 1/α events of memory).</summary>
    public double BaselineAlpha { get; init; } = 0.01;

    /// <summary>
    /// Devices per measurement in the IIoT process-unit snapshot (<c>unit.m.i</c> features of
    /// <see cref="DeviceReadingFeaturizer"/>); 0 switches the unit context off.
    /// </summary>
    public int UnitSlots { get; init; } = 2;

    /// <summary>
    /// Whether IIoT rows end with the <c>rel</c> feature (needs <see cref="UnitSlots"/> &gt; 0): the largest residual of
    /// the reading's measurements under the bundle's <see cref="RelationModel"/>, a linear model of each measurement from
    /// the unit's other devices, in training residual standard deviations.
    /// </summary>
    public bool RelationResiduals { get; init; } = true;

    /// <summary>
    /// Comma-separated on/off measurements (a valve's <c>open</c>, a pump's <c>running</c>) whose latest values in the
    /// unit snapshot split each relation fit into state regimes (<see cref="RelationModel"/>, "state regimes"): a
    /// reading's <c>rel</c> is its regime's residual when that is above <see cref="RelationModel.StateGate"/> and above
    /// the pooled fit's (counted up to <see cref="RelationModel.StateCap"/>), else the pooled fit's. Each name must be one
    /// of the layout's measurements, and names × <see cref="UnitSlots"/> at most <see cref="RelationModel.MaxStateColumns"/>.
    /// Null or empty: pooled fits only. The federation's layout (Federation:RelationStates) and the detection-quality
    /// benchmark's default to <see cref="BundleLayout.WaterTreatmentStates"/> with the simulator's measurements.
    /// </summary>
    public string? RelationStates { get; init; }

    /// <summary>
    /// A configured <see cref="RelationStates"/> value as a layout takes it: <c>none</c> (any case): null (off); empty or
    /// blank: <paramref name="fallback"/>; otherwise the value.
    /// </summary>
    public static string? RelationStatesOr(string? configured, string? fallback) =>
        string.IsNullOrWhiteSpace(configured) ? fallback
        : string.Equals(configured.Trim(), "none", StringComparison.OrdinalIgnoreCase) ? null
        : configured;

    /// <summary>The names of <see cref="RelationStates"/>, trimmed, in the given order.</summary>
    public IReadOnlyList<string> RelationStateNames =>
        (RelationStates ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The measurement that is a process unit's tank level, for the mass balance (<see cref="MassBalanceModel"/>); with
    /// <see cref="BalanceFlow"/> set, IIoT rows end with the <c>bal</c> feature after <c>rel</c> (needs
    /// <see cref="RelationResiduals"/>: a level reading's <c>rel</c> guards the balance). Null (default): no balance.
    /// </summary>
    public string? BalanceLevel { get; init; }

    /// <summary>The measurement that is a flow into or out of a unit's tank (in or out is learned per device slot); see
    /// <see cref="BalanceLevel"/>.</summary>
    public string? BalanceFlow { get; init; }

    /// <summary>Whether the rows carry the <c>bal</c> feature (both balance measurements named).</summary>
    public bool MassBalance => BalanceLevel is not null && BalanceFlow is not null;

    internal void Validate()
    {
        if (UnitSlots is < 0 or > 8) throw new ArgumentOutOfRangeException(nameof(UnitSlots), UnitSlots, "UnitSlots must be in [0, 8].");
        if (Window < 2) throw new ArgumentOutOfRangeException(nameof(Window), Window, "The window needs at least 2 events.");
        if (ReplayMemory < 0) throw new ArgumentOutOfRangeException(nameof(ReplayMemory), ReplayMemory, "ReplayMemory cannot be negative.");
        if (MaxEntities < 1) throw new ArgumentOutOfRangeException(nameof(MaxEntities), MaxEntities, "At least one entity must fit.");
        if ((BalanceLevel is null) != (BalanceFlow is null))
        {
            throw new ArgumentException($"The mass balance needs both BalanceLevel and BalanceFlow (got '{BalanceLevel}' and '{BalanceFlow}').", BalanceLevel is null ? nameof(BalanceLevel) : nameof(BalanceFlow));
        }

        if (MassBalance && BalanceLevel == BalanceFlow) throw new ArgumentException($"BalanceLevel and BalanceFlow must differ (both '{BalanceLevel}').", nameof(BalanceFlow));
        if (MassBalance && !(UnitSlots > 0 && RelationResiduals))
        {
            throw new ArgumentException("The mass balance needs the unit snapshot (UnitSlots > 0) and RelationResiduals: a level reading's rel guards it.", nameof(BalanceLevel));
        }

        if (!(BaselineAlpha > 0 && BaselineAlpha <= 1)) throw new ArgumentOutOfRangeException(nameof(BaselineAlpha), BaselineAlpha, "BaselineAlpha must be in (0, 1].");
    }
}
