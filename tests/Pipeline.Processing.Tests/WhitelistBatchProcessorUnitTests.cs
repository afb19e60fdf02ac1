using System.Collections.Concurrent;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Whitelist;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

public sealed class WhitelistBatchProcessorUnitTests : IDisposable
{
    private static readonly string UserApp = new('a', 64);
    private static readonly string AdminApp = new('b', 64);
    private static readonly string Unknown = new('c', 64);
    private static readonly string Tampered = new('e', 64);

    private readonly ProcessingMetrics _metrics = new("whitelist-test");

    public void Dispose() => _metrics.Dispose();

    /// <summary>An in-memory ledger: hash → (app, owner role); counts calls.</summary>
    private sealed class FakeLookup(Func<IReadOnlyList<WhitelistQuery>, CancellationToken, Task<WhitelistAnswer>>? behaviour = null) : IWhitelistLookup
    {
        private static readonly Dictionary<string, (string App, string Owner)> Assets = new()
        {
            [UserApp] = ("chrome", "user"),
            [AdminApp] = ("regedit", "admin"),
        };

        public ConcurrentQueue<int> Calls { get; } = new();

        public Task<WhitelistAnswer> VerifyAsync(IReadOnlyList<WhitelistQuery> queries, CancellationToken cancellationToken)
        {
            Calls.Enqueue(queries.Count);
            if (behaviour is not null)
            {
                return behaviour(queries, cancellationToken);
            }
            var results = queries.Select(q => Assets.TryGetValue(q.Sha256, out var a)
                ? new HashStatus(q.Sha256, true, a.App, a.Owner, false)
                : new HashStatus(q.Sha256, false, null, null, Assets.Values.Any(v => v.App == q.AppName))).ToList();
            return Task.FromResult(new WhitelistAnswer("peer1", results));
        }
    }

    private static InputRecord Record(int offset, string sha, string app, string role, string launch = "launch-1") =>
        new("in.exec", 0, offset, "ep-1", AvroSingleObject.Encode(ContractSamples.Execution with
        {
            Sha256 = sha,
            AppName = app,
            UserRole = role,
            LaunchId = launch,
            UserId = role == "admin" ? "adm-1" : "usr-1",
        }), DateTimeOffset.UnixEpoch);

    private WhitelistBatchProcessor Processor(IWhitelistLookup lookup, LookupFailureMode mode = LookupFailureMode.FailClosed, int timeoutMs = 2_000) =>
        new(lookup, "out.verdicts", "out.alerts", new WhitelistOptions { OnLookupFailure = mode, LookupTimeoutMs = timeoutMs }, _metrics);

    private static (List<ExecutionVerdict> Verdicts, List<Alert> Alerts) Split(BatchResult result) =>
        ([.. result.Outputs.Where(o => o.Topic == "out.verdicts").Select(o => AvroSingleObject.Decode<ExecutionVerdict>(o.Value))],
         [.. result.Outputs.Where(o => o.Topic == "out.alerts").Select(o => AvroSingleObject.Decode<Alert>(o.Value))]);

    [Fact]
    public async Task ProcessAsync_EachBcdidCase_GetsItsVerdictAndAlert()
    {
        var records = new List<InputRecord>
        {
            Record(0, UserApp, "chrome", "user"),
            Record(1, AdminApp, "regedit", "admin"),
            Record(2, AdminApp, "regedit", "user"),
            Record(3, Unknown, "miner.exe", "user"),
            Record(4, Tampered, "chrome", "user"),
        };
        var result = new BatchResult();

        await Processor(new FakeLookup()).ProcessAsync(records, result, CancellationToken.None);

        var (verdicts, alerts) = Split(result);
        Assert.Equal(["allow", "allow", "deny", "deny", "deny"], verdicts.Select(v => v.Decision));
        Assert.Equal(["approved", "approved", "admin_misuse", "unknown_hash", "hash_mismatch"], verdicts.Select(v => v.Reason));
        Assert.All(verdicts, v => Assert.Equal("peer1", v.PeerId));
        Assert.Equal(["admin_misuse", "unknown_hash", "hash_mismatch"], alerts.Select(a => a.AlertType));
        Assert.Equal([2L, 3L, 4L], alerts.Select(a => a.SourceOffset));
        Assert.Equal(AlertIds.Create("in.exec", 0, 3, 0, "unknown_hash"), alerts[1].AlertId);
    }

    [Fact]
    public async Task ProcessAsync_SeveralLaunches_OneLookupPerLaunch()
    {
        var lookup = new FakeLookup();
        var records = Enumerable.Range(0, 30).Select(i => Record(i, UserApp, "chrome", "user", launch: $"launch-{i % 3}")).ToList();

        await Processor(lookup).ProcessAsync(records, new BatchResult(), CancellationToken.None);

        Assert.Equal([10, 10, 10], lookup.Calls.OrderBy(c => c));
    }

    [Fact]
    public async Task ProcessAsync_LookupFailsFailClosed_DeniesAlertsAndCounts()
    {
        var lookup = new FakeLookup((_, _) => throw new WhitelistLookupException("peer down", "peer2"));
        var result = new BatchResult();

        await Processor(lookup).ProcessAsync([Record(0, UserApp, "chrome", "user")], result, CancellationToken.None);

        var (verdicts, alerts) = Split(result);
        Assert.Equal("deny", Assert.Single(verdicts).Decision);
        Assert.Equal("lookup_failure", verdicts[0].Reason);
        Assert.Null(verdicts[0].PeerId);
        Assert.Equal("lookup_failure", Assert.Single(alerts).AlertType);
        Assert.Equal(1, _metrics.LookupFailures);
    }

    [Fact]
    public async Task ProcessAsync_LookupTimesOutFailOpen_AllowsButStillAlerts()
    {
        var lookup = new FakeLookup(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        var result = new BatchResult();

        await Processor(lookup, LookupFailureMode.FailOpen, timeoutMs: 50).ProcessAsync([Record(0, UserApp, "chrome", "user")], result, CancellationToken.None);

        var (verdicts, alerts) = Split(result);
        Assert.Equal("allow", Assert.Single(verdicts).Decision);
        Assert.Equal("lookup_failure", Assert.Single(alerts).AlertType);
        Assert.Equal(1, _metrics.LookupFailures);
    }

    [Fact]
    public async Task ProcessAsync_MalformedExecution_IsPoisonNotLookedUp()
    {
        var lookup = new FakeLookup();
        var records = new List<InputRecord>
        {
            Record(0, "NOT-A-HASH", "chrome", "user"),
            Record(1, UserApp, "chrome", "root"),
            new("in.exec", 0, 2, "ep-1", [0xC3, 0x01, 0, 0], DateTimeOffset.UnixEpoch),
        };
        var result = new BatchResult();

        await Processor(lookup).ProcessAsync(records, result, CancellationToken.None);

        Assert.Empty(result.Outputs);
        Assert.Equal(["invalid_value", "invalid_value", "truncated"], result.Poison.Select(p => p.Reason));
        Assert.Empty(lookup.Calls);
    }
}
