namespace Pipeline.Producers.Simulation;

/// <summary>Which parts of the world a stream carries.</summary>
[Flags]
public enum ProducerDomains
{
    None = 0,

    /// <summary>chain.blocks and chain.transactions.</summary>
    Chain = 1,

    /// <summary>iiot.telemetry.</summary>
    Iiot = 2,

    /// <summary>endpoint.executions.</summary>
    Endpoints = 4,

    All = Chain | Iiot | Endpoints,
}
