using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Platform;

/// <summary>Ports on 127.0.0.1 for the services the embedded stack starts.</summary>
public static class LoopbackPorts
{
    private const int Lowest = 10_000;
    private static readonly int EphemeralLow = ReadEphemeralLow();
    private static int _next = Random.Shared.Next(Lowest, Math.Max(Lowest + 1, EphemeralLow));

    /// <summary>A port free right now on 127.0.0.1 (the caller binds it next), below the ephemeral range where the
    /// system can tell (Linux: net.ipv4.ip_local_port_range).</summary>
    /// <remarks>A port the system hands out for "any port" lies in the ephemeral range, from which every outgoing
    /// connection takes its local port too: between this call and the caller's bind, one of the stack's many Kafka or
    /// Redis connections took it now and then (pipeline up: "address already in use" for a child's metrics port). Below
    /// the range only another listener can take it. Ports are tried in turn from a random start, so the calls of one
    /// process never return the same port twice while it is free in between.</remarks>
    public static int Free()
    {
        for (var tries = 0; tries < 200 && EphemeralLow > Lowest + 1; tries++)
        {
            var port = Interlocked.Increment(ref _next);
            if (port >= EphemeralLow)
            {
                Interlocked.CompareExchange(ref _next, Lowest, port);
                continue;
            }
            if (TryBind(port))
            {
                return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool TryBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The first port of the ephemeral range, or Lowest (unknown: use the system's choice) off Linux.
    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return Lowest;
        }
    }
}
