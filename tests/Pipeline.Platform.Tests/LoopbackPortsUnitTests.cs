using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Platform.Tests;

public sealed class LoopbackPortsUnitTests
{
    // Below the ephemeral range no outgoing connection can take the port between Free() and the caller's bind.
    [Fact]
    public void Free_OnLinux_BindablePortsBelowTheEphemeralRangeAndNoneTwice()
    {
        var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '])[0], CultureInfo.InvariantCulture);

        var ports = Enumerable.Range(0, 20).Select(_ => LoopbackPorts.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port =>
        {
            Assert.InRange(port, 1024, low - 1);
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        });
    }
}
