namespace Pipeline.Chaincode;

/// <summary>
/// What a contract sees of the ledger during one transaction, modelled on Fabric's ChaincodeStub:
/// world-state reads and writes, range queries with paging, key history, the transaction's id,
/// timestamp and creator, and one event.
/// </summary>
/// <remarks>
/// Reads return the committed state (as in Fabric, a write is not visible to reads of the same
/// transaction on a ledger peer). Keys are ordinal-ordered strings. A stub is used by one
/// transaction on one thread.
/// </remarks>
public interface IChaincodeStub
{
    /// <summary>Transaction id, the same on every endorsing peer.</summary>
    string TxId { get; }

    /// <summary>Timestamp chosen by the client that built the proposal (deterministic across endorsers).</summary>
    DateTimeOffset TxTimestamp { get; }

    /// <summary>Identity that signed the proposal.</summary>
    ClientIdentity Creator { get; }

    /// <summary>Channel (ledger) name.</summary>
    string ChannelId { get; }

    /// <summary>Current value of a key, or null when the key does not exist.</summary>
    byte[]? GetState(string key);

    /// <summary>Writes a key (applied when the transaction commits).</summary>
    void PutState(string key, byte[] value);

    /// <summary>Deletes a key (applied when the transaction commits).</summary>
    void DelState(string key);

    /// <summary>All entries with <paramref name="startKey"/> &lt;= key &lt; <paramref name="endKey"/>, ordinal order.</summary>
    IReadOnlyList<StateEntry> GetStateByRange(string startKey, string endKey);

    /// <summary>
    /// One page of a range query. <paramref name="bookmark"/> is empty for the first page, then the
    /// <see cref="StatePage.Bookmark"/> of the previous page; an empty returned bookmark means no more pages.
    /// </summary>
    StatePage GetStateByRangeWithPagination(string startKey, string endKey, int pageSize, string bookmark);

    /// <summary>Every committed modification of a key, oldest first.</summary>
    IReadOnlyList<KeyModification> GetHistoryForKey(string key);

    /// <summary>Sets the transaction's event (the last call wins, as in Fabric).</summary>
    void SetEvent(string name, byte[] payload);
}
