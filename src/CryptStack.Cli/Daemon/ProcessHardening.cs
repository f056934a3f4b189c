using System.Runtime.InteropServices;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Keeps keys out of core files and away from other processes of the same user: the process is marked
/// undumpable (PR_SET_DUMPABLE 0: no core file, no ptrace attach or /proc/PID/mem read by non-root processes of
/// the same user) and its core size limit is 0 (also for children, which inherit it). Applied at the start of
/// every cryptstack process, so the mount daemon and the commands that unlock a volume are covered alike.
/// Key buffers are also mlock'ed (Crypto.KeyMemory), which keeps them out of swap.
/// </summary>
public static partial class ProcessHardening
{
    private const int PR_SET_DUMPABLE = 4, RLIMIT_CORE = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    /// <summary>Best effort: a refusal leaves the process as it was (nothing here is needed to work).</summary>
    public static void Apply()
    {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        setrlimit(RLIMIT_CORE, new RLimit { Current = 0, Maximum = 0 });
    }
}
