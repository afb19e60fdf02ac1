using Pipeline.Contracts.Avro;

namespace Pipeline.Contracts;

/// <summary>An executable started on a fleet endpoint (schemas/EndpointExecution.avsc).</summary>
public sealed record EndpointExecution : IAvroRecord<EndpointExecution>
{
    public static string SchemaName => "EndpointExecution";

    public required string EndpointId { get; init; }
    public required string Organisation { get; init; }
    public required string UserId { get; init; }
    /// <summary>"user" or "admin".</summary>
    public required string UserRole { get; init; }
    public required string AppName { get; init; }
    public required string AppVersion { get; init; }
    public required string Platform { get; init; }
    /// <summary>64 lower-case hex digits.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Groups the executables of one application launch.</summary>
    public required string LaunchId { get; init; }
    public required string ExecutablePath { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    public void WriteBody(AvroWriter writer)
    {
        writer.WriteString(EndpointId);
        writer.WriteString(Organisation);
        writer.WriteString(UserId);
        writer.WriteString(UserRole);
        writer.WriteString(AppName);
        writer.WriteString(AppVersion);
        writer.WriteString(Platform);
        writer.WriteString(Sha256);
        writer.WriteString(LaunchId);
        writer.WriteString(ExecutablePath);
        writer.WriteTimestampMillis(Timestamp);
    }

    public static EndpointExecution ReadBody(ref AvroReader reader) => new()
    {
        EndpointId = reader.ReadString("endpointId"),
        Organisation = reader.ReadString("organisation"),
        UserId = reader.ReadString("userId"),
        UserRole = reader.ReadString("userRole"),
        AppName = reader.ReadString("appName"),
        AppVersion = reader.ReadString("appVersion"),
        Platform = reader.ReadString("platform"),
        Sha256 = reader.ReadString("sha256"),
        LaunchId = reader.ReadString("launchId"),
        ExecutablePath = reader.ReadString("executablePath"),
        Timestamp = reader.ReadTimestampMillis("timestamp"),
    };
}
