using System.Runtime.InteropServices;

namespace Pipeline.Cli;

/// <summary>POSIX signals to child processes.</summary>
internal static partial class Signal
{
    /// <summary>SIGINT, the Ctrl+C every pipeline command handles by shutting down cleanly.</summary>
    public static int Interrupt(int pid) => Kill(pid, 2);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
