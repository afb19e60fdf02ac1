using System.Text;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Replay;
using Pipeline.Producers.Scenarios;

namespace Pipeline.Producers.Tests;

public sealed class ReplayUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("producers-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ReplayMapping SwatLikeMapping() => new()
    {
        Topic = Topics.IiotTelemetry,
        TimestampColumn = "Timestamp",
        TimestampFormat = "dd/MM/yyyy HH:mm:ss",
        LabelColumn = "Normal/Attack",
        Labels = new() { ["Normal"] = "normal", ["Attack"] = "sensor_spoofing" },
        Fields = new() { ["factoryId"] = "=swat", ["deviceId"] = "Stage", ["clusterId"] = "=c09" },
    };

    [Fact]
    public void Read_Csv_MapsColumnsToReadingsAndRejectsBadRowsByLine()
    {
        var csv = Write("swat.csv",
            "Timestamp,Stage,FIT101,LIT101,MV101,Normal/Attack",
            "28/12/2015 10:00:00,p1,2.47,261.5,2,Normal",
            "28/12/2015 10:00:01,p1,abc,261.6,2,Normal",
            "",
            "28/12/2015 10:00:02,p1,2.45,\"261,7\",2,Attack",
            "28/12/2015 10:00:03,p1,2.44,261.8,2",
            "28/12/2015 10:00:04,p1,2.43,261.9,1,Attack");

        var rows = new ReplayReader(csv, SwatLikeMapping()).Read(CancellationToken.None).ToList();

        Assert.Equal([2L, 3, 5, 6, 7], rows.Select(r => r.LineNumber));
        Assert.Equal([false, true, true, true, false], rows.Select(r => r.IsRejected));
        Assert.Contains("FIT101", rows[1].Error, StringComparison.Ordinal);
        Assert.Contains("5 fields", rows[3].Error, StringComparison.Ordinal);

        var first = AvroSingleObject.Decode<DeviceReading>(rows[0].Message.Value);
        Assert.Equal("swat", first.FactoryId);
        Assert.Equal("c09", first.ClusterId);
        Assert.Equal("p1", first.DeviceId);
        Assert.Equal(new DateTimeOffset(2015, 12, 28, 10, 0, 0, TimeSpan.Zero), first.Timestamp);
        Assert.Equal([new("FIT101", 2.47), new("LIT101", 261.5), new("MV101", 2)], first.Measurements);
        Assert.Equal("swat", rows[0].Message.Key);
        Assert.Equal("normal", rows[0].Message.Label);

        var last = rows[4].Message;
        Assert.Equal("sensor_spoofing", last.Label);
        Assert.Equal(new DateTimeOffset(2015, 12, 28, 10, 0, 4, TimeSpan.Zero).ToUnixTimeMilliseconds(), last.TimestampMs);
    }

    [Fact]
    public void Feed_RejectedRows_AreCountedAndWrittenToTheRejectsFileWithTheHeader()
    {
        var csv = Write("swat.csv",
            "Timestamp,Stage,FIT101,Normal/Attack",
            "28/12/2015 10:00:00,p1,2.47,Normal",
            "yesterday,p1,2.47,Normal",
            "28/12/2015 10:00:02,p1,2.45,Attack");
        var rejects = Path.Combine(_dir, "rejects.csv");
        var feed = new ReplayFeed(csv, SwatLikeMapping(), rejects);

        var messages = feed.Messages(CancellationToken.None).ToList();

        Assert.Equal(2, messages.Count);
        Assert.Equal(2, feed.Accepted);
        Assert.Equal(1, feed.Rejected);
        Assert.Equal(3, feed.Errors[0].Line);
        Assert.Contains("timestamp", feed.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal(["Timestamp,Stage,FIT101,Normal/Attack", "yesterday,p1,2.47,Normal"], File.ReadAllLines(rejects));
    }

    [Fact]
    public void Feed_Strict_StopsAtTheFirstBadRowNamingItsLine()
    {
        var csv = Write("swat.csv", "Timestamp,Stage,FIT101,Normal/Attack", "28/12/2015 10:00:00,p1,x,Normal");

        var ex = Assert.Throws<ReplayRowException>(() => new ReplayFeed(csv, SwatLikeMapping(), strict: true).Messages(CancellationToken.None).ToList());

        Assert.Equal(2, ex.LineNumber);
        Assert.StartsWith(csv + ":2:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_JsonLines_MapsTransactionsWithoutLabelColumn()
    {
        var file = Write("tx.jsonl",
            "{\"ts\": 1700000000000, \"cluster\": \"c01\", \"id\": \"t1\", \"from\": \"a\", \"to\": \"b\", \"value\": 1.5, \"height\": 7}",
            "{\"ts\": 1700000001000, \"cluster\": \"c01\", \"id\": \"t2\", \"from\": \"a\", \"to\": \"b\", \"value\": 2.5, \"height\": null}",
            "[1, 2]",
            "{\"ts\": 1700000002000, \"cluster\": \"c01\", \"id\": \"t3\", \"from\": \"a\"");
        var mapping = new ReplayMapping
        {
            Topic = Topics.ChainTransactions,
            TimestampColumn = "ts",
            TimestampFormat = "unix-ms",
            Fields = new()
            {
                ["clusterId"] = "cluster",
                ["transactionId"] = "id",
                ["fromAccount"] = "from",
                ["toAccount"] = "to",
                ["amount"] = "value",
                ["blockHeight"] = "height",
            },
        };

        var rows = new ReplayReader(file, mapping).Read(CancellationToken.None).ToList();

        Assert.Equal([false, false, true, true], rows.Select(r => r.IsRejected));
        var tx1 = AvroSingleObject.Decode<TransactionEvent>(rows[0].Message.Value);
        var tx2 = AvroSingleObject.Decode<TransactionEvent>(rows[1].Message.Value);
        Assert.Equal((7L, 1.5, "c01"), (tx1.BlockHeight!.Value, tx1.Amount, rows[0].Message.Key));
        Assert.Null(tx2.BlockHeight);
        Assert.Null(rows[0].Message.Label);
        Assert.Equal(4, rows[3].LineNumber);
    }

    [Fact]
    public void LoadMapping_MissingRequiredField_NamesFileLineAndField()
    {
        var path = Write("map.json", "{", "  \"topic\": \"endpoint.executions\",", "  \"timestampColumn\": \"t\",", "  \"fields\": {", "    \"endpointId\": \"host\"", "  }", "}");

        var ex = Assert.Throws<ScenarioFormatException>(() => ReplayMappingLoader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Equal(4, ex.Line);
        Assert.Equal("$.fields", ex.Field);
        Assert.Contains("appName", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadMapping_UnknownTopicAndField_AreNamed()
    {
        var badTopic = Write("a.json", "{", "  \"topic\": \"iiot.telemetri\",", "  \"timestampColumn\": \"t\"", "}");
        var badField = Write("b.json", "{\"topic\": \"iiot.telemetry\", \"timestampColumn\": \"t\",", " \"fields\": {\"factoryId\": \"f\", \"deviceId\": \"d\",", "  \"temperature\": \"x\"}}");

        var topic = Assert.Throws<ScenarioFormatException>(() => ReplayMappingLoader.Load(badTopic));
        var field = Assert.Throws<ScenarioFormatException>(() => ReplayMappingLoader.Load(badField));

        Assert.Equal((2, "$.topic"), (topic.Line!.Value, topic.Field));
        Assert.Equal((3, "$.fields.temperature"), (field.Line!.Value, field.Field));
    }

    [Fact]
    public void LoadMapping_MalformedJson_NamesTheLine()
    {
        var path = Write("c.json", "{", "  \"topic\": \"iiot.telemetry\"", "  \"timestampColumn\": \"t\"", "}");

        var ex = Assert.Throws<ScenarioFormatException>(() => ReplayMappingLoader.Load(path));

        Assert.Equal(3, ex.Line);
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n", Encoding.UTF8);
        return path;
    }
}
