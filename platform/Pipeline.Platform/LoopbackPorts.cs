using System.Net;
using System.Net.Sockets;

namespace Pipeline.Platform;

/// <summary>Ports on 127.0.0.1 for the services the embedded stack starts.</summary>
public static class LoopbackPorts
{
    /// <summary>A port the operating system reports free right now (the caller binds it next).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
