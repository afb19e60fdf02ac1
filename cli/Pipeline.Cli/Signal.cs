using System.Runtime.InteropServices;

namespace Pipeline.Cli;

/// <summary>POSIX signals to child processes.</summary>
internal static partial class Signal
{
    /// <summary>SIGTERM, which every pipeline command handles like Ctrl+C (SIGINT) by shutting down cleanly.
    /// Preferred for children: a process started in the background by a non-interactive shell inherits SIGINT as
    /// ignored (POSIX), and then never sees a SIGINT sent to it.</summary>
    public static int Terminate(int pid) => Kill(pid, 15);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
