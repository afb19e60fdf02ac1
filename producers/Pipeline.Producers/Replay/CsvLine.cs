using System.Text;

namespace Pipeline.Producers.Replay;

/// <summary>Splits one CSV line (RFC 4180 quoting, doubled quotes inside quoted fields; no line breaks inside fields).</summary>
internal static class CsvLine
{
    /// <summary>Fills <paramref name="fields"/>; returns an error for an unterminated quote, else null.</summary>
    public static string? Split(string line, char delimiter, List<string> fields)
    {
        fields.Clear();
        var i = 0;
        var builder = new StringBuilder();
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                builder.Clear();
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return "unterminated quoted field";
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            builder.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    builder.Append(line[i++]);
                }
                fields.Add(builder.ToString());
                if (i < line.Length && line[i] != delimiter)
                {
                    return $"unexpected character '{line[i]}' after a quoted field at column {i + 1}";
                }
            }
            else
            {
                var end = line.IndexOf(delimiter, i);
                if (end < 0)
                {
                    end = line.Length;
                }
                fields.Add(line[i..end].Trim());
                i = end;
            }
            if (i >= line.Length)
            {
                return null;
            }
            i++; // the delimiter
            if (i == line.Length)
            {
                fields.Add(string.Empty);
                return null;
            }
        }
    }
}
