namespace Pipeline.Producers.Simulation;

/// <summary>An enrolled endpoint: a vehicle (linux-x64) or a seat tablet (android-arm64).</summary>
internal sealed record FleetEndpoint(string EndpointId, string Organisation, string Kind, string Platform);

/// <summary>An organisation of the fleet with its endpoints and people.</summary>
internal sealed record FleetOrganisation(string Id, FleetEndpoint[] Endpoints, string[] Users, string[] Admins);
