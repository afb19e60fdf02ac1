using System.Text.Json;

namespace Pipeline.Producers.Scenarios;

/// <summary>Shortens System.Text.Json messages to the cause (the location is reported separately).</summary>
internal static class JsonErrors
{
    public static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }
        if (ex.InnerException is { } inner && inner is not JsonException)
        {
            message += $" ({inner.Message})";
        }
        return message.TrimEnd('.', ' ');
    }
}
