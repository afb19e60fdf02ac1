using System.Globalization;
using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Replay;

/// <summary>
/// Streams a CSV (first line = header) or JSON-lines file through a <see cref="ReplayMapping"/>.
/// A line that does not parse comes back as a rejected <see cref="ReplayRow"/> with its line number;
/// the stream goes on. Blank lines are skipped.
/// </summary>
public sealed class ReplayReader
{
    private readonly string _path;
    private readonly ReplayMapping _mapping;
    private readonly bool _jsonLines;
    private readonly IReadOnlyDictionary<string, (ContractFields.Kind Kind, bool Required)> _fields;
    private readonly HashSet<string> _usedColumns = new(StringComparer.Ordinal);

    public ReplayReader(string path, ReplayMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        _path = path;
        _mapping = mapping;
        _jsonLines = mapping.Format switch
        {
            "jsonl" => true,
            "csv" => false,
            _ => Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".ndjson" or ".json",
        };
        _fields = ContractFields.For(mapping.Topic);
        foreach (var source in mapping.Fields.Values)
        {
            if (!source.StartsWith('='))
            {
                _usedColumns.Add(source);
            }
        }
        _usedColumns.Add(mapping.TimestampColumn);
        if (mapping.KeyColumn is not null)
        {
            _usedColumns.Add(mapping.KeyColumn);
        }
        if (mapping.LabelColumn is not null)
        {
            _usedColumns.Add(mapping.LabelColumn);
        }
    }

    /// <summary>The CSV header line once read (rejects files start with it); null for JSON lines.</summary>
    public string? HeaderLine { get; private set; }

    public IEnumerable<ReplayRow> Read(CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(_path);
        long lineNumber = 0;
        long rowNumber = 0;
        Dictionary<string, int>? header = null;
        string[]? measurementColumns = null;
        var fields = new List<string>();
        var delimiter = _mapping.Delimiter[0];
        while (reader.ReadLine() is { } line)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            if (!_jsonLines && header is null)
            {
                if (CsvLine.Split(line, delimiter, fields) is { } headerError)
                {
                    throw new ReplayRowException(_path, lineNumber, $"header: {headerError}");
                }
                header = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < fields.Count; i++)
                {
                    header.TryAdd(fields[i], i);
                }
                HeaderLine = line;
                if (_mapping.Measurements is null)
                {
                    measurementColumns = [.. fields.Where(f => !_usedColumns.Contains(f))];
                }
                continue;
            }
            rowNumber++;
            string? error;
            SimulatedMessage message = default;
            try
            {
                RowValues row;
                if (_jsonLines)
                {
                    row = RowValues.FromJson(line);
                }
                else
                {
                    if (CsvLine.Split(line, delimiter, fields) is { } splitError)
                    {
                        throw new FormatException(splitError);
                    }
                    if (fields.Count != header!.Count)
                    {
                        throw new FormatException($"{fields.Count} fields, the header has {header.Count}");
                    }
                    row = RowValues.FromCsv(header, fields);
                }
                message = Bind(row, rowNumber, measurementColumns);
                error = null;
            }
            catch (FormatException ex)
            {
                error = ex.Message;
            }
            catch (JsonException ex)
            {
                error = $"not a JSON object: {ex.Message}";
            }
            yield return new ReplayRow(lineNumber, message, error, line);
        }
    }

    private SimulatedMessage Bind(RowValues row, long rowNumber, string[]? measurementColumns)
    {
        var timestamp = ParseTimestamp(row.Get(_mapping.TimestampColumn, "timestamp"));
        string? label = null;
        if (_mapping.LabelColumn is { } labelColumn)
        {
            var raw = row.Get(labelColumn, "label").Trim();
            label = _mapping.Labels is not null && _mapping.Labels.TryGetValue(raw, out var mapped)
                ? mapped
                : raw.Length == 0 ? AttackLabels.Normal : raw.ToLowerInvariant().Replace(' ', '_');
        }
        byte[] value;
        string key;
        switch (_mapping.Topic)
        {
            case Topics.IiotTelemetry:
                {
                    var columns = _mapping.Measurements ?? (IReadOnlyList<string>?)measurementColumns
                        ?? [.. row.Columns.Where(c => !_usedColumns.Contains(c))];
                    var measurements = new NamedValue[columns.Count];
                    for (var i = 0; i < columns.Count; i++)
                    {
                        measurements[i] = new NamedValue(columns[i], ParseDouble(row.Get(columns[i], columns[i]), columns[i]));
                    }
                    var reading = new DeviceReading
                    {
                        ClusterId = Text(row, "clusterId", "replay"),
                        FactoryId = Text(row, "factoryId", null),
                        DeviceId = Text(row, "deviceId", null),
                        DeviceType = Text(row, "deviceType", "sensor"),
                        Sequence = Long(row, "sequence", rowNumber),
                        Timestamp = timestamp,
                        Measurements = measurements,
                    };
                    key = reading.FactoryId;
                    value = AvroSingleObject.Encode(reading);
                    break;
                }
            case Topics.ChainTransactions:
                {
                    var tx = new TransactionEvent
                    {
                        ClusterId = Text(row, "clusterId", null),
                        TransactionId = Text(row, "transactionId", null),
                        BlockHeight = Source("blockHeight") is null ? null : NullableLong(row, "blockHeight"),
                        FromAccount = Text(row, "fromAccount", null),
                        ToAccount = Text(row, "toAccount", null),
                        Amount = Double(row, "amount", 0),
                        Fee = Double(row, "fee", 0),
                        SizeBytes = Int(row, "sizeBytes", 0),
                        InputCount = Int(row, "inputCount", 1),
                        OutputCount = Int(row, "outputCount", 1),
                        AccountNonce = Long(row, "accountNonce", 0),
                        PayloadBytes = Int(row, "payloadBytes", 0),
                        Timestamp = timestamp,
                    };
                    key = tx.ClusterId;
                    value = AvroSingleObject.Encode(tx);
                    break;
                }
            case Topics.ChainBlocks:
                {
                    var block = new BlockEvent
                    {
                        ClusterId = Text(row, "clusterId", null),
                        Height = Long(row, "height", 0),
                        BlockHash = Text(row, "blockHash", null),
                        PreviousHash = Text(row, "previousHash", string.Empty),
                        MinerId = Text(row, "minerId", null),
                        Timestamp = timestamp,
                        TransactionCount = Int(row, "transactionCount", 0),
                        SizeBytes = Int(row, "sizeBytes", 0),
                        Difficulty = Double(row, "difficulty", 0),
                        Nonce = Long(row, "nonce", 0),
                        TotalValue = Double(row, "totalValue", 0),
                        TotalFees = Double(row, "totalFees", 0),
                        Reward = Double(row, "reward", 0),
                    };
                    key = block.ClusterId;
                    value = AvroSingleObject.Encode(block);
                    break;
                }
            default:
                {
                    var execution = new EndpointExecution
                    {
                        EndpointId = Text(row, "endpointId", null),
                        Organisation = Text(row, "organisation", "replay"),
                        UserId = Text(row, "userId", "unknown"),
                        UserRole = Text(row, "userRole", "user"),
                        AppName = Text(row, "appName", null),
                        AppVersion = Text(row, "appVersion", string.Empty),
                        Platform = Text(row, "platform", string.Empty),
                        Sha256 = Text(row, "sha256", null).ToLowerInvariant(),
                        LaunchId = Text(row, "launchId", $"replay-{rowNumber}"),
                        ExecutablePath = Text(row, "executablePath", string.Empty),
                        Timestamp = timestamp,
                    };
                    key = execution.EndpointId;
                    value = AvroSingleObject.Encode(execution);
                    break;
                }
        }
        if (_mapping.KeyColumn is { } keyColumn)
        {
            key = row.Get(keyColumn, "key");
        }
        return new SimulatedMessage(_mapping.Topic, key, value, label, timestamp.ToUnixTimeMilliseconds());
    }

    private string? Source(string field) => _mapping.Fields.TryGetValue(field, out var s) ? s : null;

    private string? Raw(RowValues row, string field)
    {
        var source = Source(field);
        if (source is null)
        {
            return null;
        }
        return source.StartsWith('=') ? source[1..] : row.Get(source, field);
    }

    private string Text(RowValues row, string field, string? fallback)
    {
        var raw = Raw(row, field);
        if (string.IsNullOrEmpty(raw))
        {
            return fallback ?? throw new FormatException($"field {field} is empty");
        }
        return raw;
    }

    private long Long(RowValues row, string field, long fallback)
    {
        var raw = Raw(row, field);
        if (raw is null)
        {
            return fallback;
        }
        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15
                ? (long)d
                : throw new FormatException($"field {field}: \"{raw}\" is not an integer");
    }

    private long? NullableLong(RowValues row, string field)
    {
        var raw = Raw(row, field);
        return string.IsNullOrEmpty(raw) ? null : Long(row, field, 0);
    }

    private int Int(RowValues row, string field, int fallback)
    {
        var v = Long(row, field, fallback);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new FormatException($"field {field}: {v} is out of range");
    }

    private double Double(RowValues row, string field, double fallback)
    {
        var raw = Raw(row, field);
        return raw is null ? fallback : ParseDouble(raw, field);
    }

    private static double ParseDouble(string raw, string what)
    {
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
        {
            return v;
        }
        return raw.Trim().ToLowerInvariant() switch
        {
            "true" => 1,
            "false" => 0,
            _ => throw new FormatException($"{what}: \"{raw}\" is not a number"),
        };
    }

    private DateTimeOffset ParseTimestamp(string raw)
    {
        var text = raw.Trim();
        switch (_mapping.TimestampFormat)
        {
            case "unix-ms":
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
                {
                    return DateTimeOffset.FromUnixTimeMilliseconds(ms);
                }
                break;
            case "unix-s":
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s))
                {
                    return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(s * 1000));
                }
                break;
            case "iso":
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var iso))
                {
                    return iso;
                }
                break;
            default:
                if (DateTimeOffset.TryParseExact(text, _mapping.TimestampFormat, CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal, out var exact))
                {
                    return exact;
                }
                break;
        }
        throw new FormatException($"timestamp: \"{raw}\" does not match format {_mapping.TimestampFormat}");
    }

    /// <summary>Column access over a CSV row or a JSON object.</summary>
    private sealed class RowValues
    {
        private readonly Dictionary<string, int>? _header;
        private readonly List<string>? _fields;
        private readonly Dictionary<string, string>? _json;

        private RowValues(Dictionary<string, int>? header, List<string>? fields, Dictionary<string, string>? json)
        {
            _header = header;
            _fields = fields;
            _json = json;
        }

        public IEnumerable<string> Columns => _json is not null ? _json.Keys : _header!.Keys;

        public static RowValues FromCsv(Dictionary<string, int> header, List<string> fields) => new(header, fields, null);

        public static RowValues FromJson(string line)
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"expected a JSON object, found {document.RootElement.ValueKind}");
            }
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Null => string.Empty,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => property.Value.GetRawText(),
                };
            }
            return new RowValues(null, null, values);
        }

        public string Get(string column, string what)
        {
            if (_json is not null)
            {
                return _json.TryGetValue(column, out var v) ? v : throw new FormatException($"{what}: no property \"{column}\"");
            }
            return _header!.TryGetValue(column, out var i)
                ? _fields![i]
                : throw new FormatException($"{what}: the header has no column \"{column}\"");
        }
    }
}
