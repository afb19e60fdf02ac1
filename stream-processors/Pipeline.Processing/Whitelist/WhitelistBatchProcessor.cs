using System.Diagnostics;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Whitelist;

/// <summary>Whitelist logic (BCDID processes 3 and 6): decode each EndpointExecution, verify the
/// hashes of each launch with one ledger lookup, and emit an ExecutionVerdict per execution plus an
/// Alert for unknown_hash, hash_mismatch, admin_misuse and lookup_failure. No Kafka.</summary>
/// <remarks>Not thread-safe (one loop), but the lookups of a batch's launches run concurrently, up to
/// <see cref="WhitelistOptions.MaxConcurrentLookups"/>, each bounded by
/// <see cref="WhitelistOptions.LookupTimeoutMs"/>. Outputs are added in input order once all lookups
/// are done. Alert ids use model version 0 (no model), so a replayed execution gets the same id.</remarks>
public sealed class WhitelistBatchProcessor : IBatchProcessor
{
    /// <summary>The stream name written on whitelist alerts.</summary>
    public const string StreamName = "endpoint";

    /// <summary>The detector name written on whitelist alerts.</summary>
    public const string DetectorName = "whitelist";

    private readonly IWhitelistLookup _lookup;
    private readonly string _verdictsTopic;
    private readonly string _alertsTopic;
    private readonly WhitelistOptions _options;
    private readonly ProcessingMetrics _metrics;
    private readonly TimeProvider _time;

    public WhitelistBatchProcessor(IWhitelistLookup lookup, string verdictsTopic, string alertsTopic, WhitelistOptions options, ProcessingMetrics metrics, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        options.Validate();
        _lookup = lookup;
        _verdictsTopic = verdictsTopic;
        _alertsTopic = alertsTopic;
        _options = options;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
    }

    public async Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken)
    {
        var executions = new EndpointExecution?[batch.Count];
        var launches = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var decoded = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                var execution = AvroSingleObject.Decode<EndpointExecution>(batch[i].Value);
                var problem = Validate(execution);
                if (problem is not null)
                {
                    result.AddPoison(i, "invalid_value", problem);
                    continue;
                }
                executions[i] = execution;
                if (!launches.TryGetValue(execution.LaunchId, out var members))
                {
                    launches[execution.LaunchId] = members = [];
                }
                members.Add(i);
                decoded++;
            }
            catch (AvroContractException e)
            {
                result.AddPoison(i, e.ReasonCode, e.Message);
            }
        }
        _metrics.EventsProcessed(decoded);

        // One lookup per launch (split only past MaxHashesPerLookup), several launches at once.
        var chunks = launches.Values.SelectMany(members => members.Chunk(_options.MaxHashesPerLookup)).ToList();
        var outcomes = new (HashStatus? Status, string? PeerId, long Micros)[batch.Count];
        using var gate = new SemaphoreSlim(_options.MaxConcurrentLookups);
        await Task.WhenAll(chunks.Select(chunk => LookUpAsync(chunk, executions, outcomes, gate, cancellationToken))).ConfigureAwait(false);

        var now = _time.GetUtcNow();
        for (var i = 0; i < batch.Count; i++)
        {
            if (executions[i] is not { } execution)
            {
                continue;
            }
            var (status, peerId, micros) = outcomes[i];
            var decision = status is null ? WhitelistDecision.Failed(_options.OnLookupFailure) : WhitelistDecision.Decide(execution.UserRole, status);
            if (status is null)
            {
                _metrics.LookupFailed();
            }
            _metrics.LookupCompleted(peerId, micros);
            var verdict = new ExecutionVerdict
            {
                EndpointId = execution.EndpointId,
                UserId = execution.UserId,
                LaunchId = execution.LaunchId,
                Sha256 = execution.Sha256,
                AppName = execution.AppName,
                Decision = decision.Allow ? "allow" : "deny",
                Reason = decision.Reason,
                PeerId = peerId,
                LatencyMicros = micros,
                EventTime = execution.Timestamp,
                DecidedTime = now,
            };
            result.AddOutput(_verdictsTopic, execution.EndpointId, AvroSingleObject.Encode(verdict));
            _metrics.Verdict(decision.Allow);
            if (decision.AlertType is { } alertType)
            {
                var record = batch[i];
                var alert = new Alert
                {
                    AlertId = AlertIds.Create(record.Topic, record.Partition, record.Offset, 0, alertType),
                    EntityKey = execution.EndpointId,
                    Stream = StreamName,
                    AlertType = alertType,
                    Detector = DetectorName,
                    Score = 1,
                    Threshold = 0,
                    ModelVersion = 0,
                    EventTime = execution.Timestamp,
                    DetectionTime = now,
                    SourceTopic = record.Topic,
                    SourcePartition = record.Partition,
                    SourceOffset = record.Offset,
                    Detail = $"{alertType}: user {execution.UserId} ({execution.UserRole}) ran {execution.AppName} {execution.AppVersion} " +
                             $"sha256 {execution.Sha256} at {execution.ExecutablePath}" +
                             (status is { Exists: true } ? $"; owner {status.OwnerRole}" : "") +
                             (peerId is null ? "; no ledger answer" : $"; peer {peerId}") +
                             (decision.Allow ? "; allowed (fail-open)" : "; denied"),
                };
                result.AddOutput(_alertsTopic, execution.EndpointId, AvroSingleObject.Encode(alert));
                _metrics.AlertEmitted(alertType);
                _metrics.EndToEnd((now - execution.Timestamp).TotalMilliseconds);
            }
        }
    }

    public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
    {
        // Stateless between batches.
    }

    private async Task LookUpAsync(
        int[] members,
        EndpointExecution?[] executions,
        (HashStatus? Status, string? PeerId, long Micros)[] outcomes,
        SemaphoreSlim gate,
        CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var queries = members.Select(i => new WhitelistQuery(executions[i]!.Sha256, executions[i]!.AppName)).ToList();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.LookupTimeoutMs);
            WhitelistAnswer? answer = null;
            try
            {
                answer = await _lookup.VerifyAsync(queries, deadline.Token).ConfigureAwait(false);
                if (answer.Results.Count != queries.Count)
                {
                    answer = null;
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Failed or timed out: the decision rule (fail-closed / fail-open) handles it.
            }
            var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            for (var k = 0; k < members.Length; k++)
            {
                outcomes[members[k]] = (answer?.Results[k], answer?.PeerId, micros);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private static string? Validate(EndpointExecution execution)
    {
        if (execution.Sha256.Length != 64 || !execution.Sha256.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)))
        {
            return "sha256 is not 64 lower-case hex digits";
        }
        if (execution.UserRole is not ("user" or "admin"))
        {
            return $"userRole is '{execution.UserRole}', expected user or admin";
        }
        if (string.IsNullOrWhiteSpace(execution.EndpointId) || string.IsNullOrWhiteSpace(execution.LaunchId))
        {
            return "endpointId or launchId is empty";
        }
        return null;
    }
}
