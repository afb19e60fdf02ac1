using System.Text.RegularExpressions;

namespace Pipeline.PeerIndex;

/// <summary>Who a peer is, as it registers in the index.</summary>
/// <param name="PeerId">Unique within the group: letters, digits, '.', '_' or '-', not starting with '-'.</param>
/// <param name="MspId">The organisation (MSP) the peer belongs to; Single prefers the caller's.</param>
/// <param name="Endpoint">Where clients reach the peer (free text, e.g. <c>embedded://peer0</c>).</param>
/// <param name="Ordinal">Fixed registration index, or -1 to be appended after the peers already known.</param>
public sealed partial record PeerRegistration(string PeerId, string MspId, string Endpoint, long Ordinal = -1)
{
    /// <summary>Whether a peer id, MSP id or group name has the allowed shape.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Throws when the registration cannot be stored.</summary>
    /// <exception cref="ArgumentException">An id is malformed; the message names it.</exception>
    public void Validate()
    {
        if (!IsValidName(PeerId))
        {
            throw new ArgumentException($"Peer id '{PeerId}' must be 1-128 characters of letters, digits, '.', '_' or '-', not starting with '-'.", nameof(PeerId));
        }

        if (!IsValidName(MspId))
        {
            throw new ArgumentException($"MSP id '{MspId}' of peer '{PeerId}' must be 1-128 characters of letters, digits, '.', '_' or '-', not starting with '-'.", nameof(MspId));
        }

        if (Endpoint is null)
        {
            throw new ArgumentException($"Endpoint of peer '{PeerId}' must not be null.", nameof(Endpoint));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
