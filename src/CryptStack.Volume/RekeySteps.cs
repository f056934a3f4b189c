using System.Runtime.InteropServices;

namespace CryptStack.Volume;

/// <summary>
/// Counts the durable steps of a rekey (journal written, config replaced, each header, name, link target and xattr
/// rewritten). For crash tests only: with CRYPTSTACK_TEST_REKEY_KILL_AFTER=N in the environment the process sends
/// itself SIGKILL after step N, the harshest stop there is, at a point the test chooses.
/// </summary>
public static partial class RekeySteps
{
    public const string KillAfterVariable = "CRYPTSTACK_TEST_REKEY_KILL_AFTER";
    private static readonly long KillAfter = long.TryParse(Environment.GetEnvironmentVariable(KillAfterVariable), out long n) ? n : -1;
    private static long _done;

    public static long Done => Interlocked.Read(ref _done);

    public static void Step()
    {
        if (Interlocked.Increment(ref _done) == KillAfter) _ = Kill(GetPid(), 9);
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getpid")]
    private static partial int GetPid();
}
