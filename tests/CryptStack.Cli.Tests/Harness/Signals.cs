using System.Runtime.InteropServices;

namespace CryptStack.Cli.Tests.Harness;

/// <summary>kill(2) for the tests: signals sent without a /bin/kill, which a minimal Debian lacks.</summary>
public static partial class Signals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
