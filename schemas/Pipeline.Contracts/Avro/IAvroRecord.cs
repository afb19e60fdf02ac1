namespace Pipeline.Contracts.Avro;

/// <summary>A contract type whose Avro body encoding is written by hand against its .avsc file.</summary>
/// <remarks>Tests check every implementation against Apache.Avro's generic reader and writer using
/// the .avsc, and against python3-avro, so the hand-written code cannot drift from the schema.</remarks>
public interface IAvroRecord<TSelf> where TSelf : IAvroRecord<TSelf>
{
    /// <summary>The schema's name, which is also its file name without ".avsc".</summary>
    static abstract string SchemaName { get; }

    /// <summary>Writes the fields in schema order.</summary>
    void WriteBody(AvroWriter writer);

    /// <summary>Reads the fields in schema order.</summary>
    static abstract TSelf ReadBody(ref AvroReader reader);
}
