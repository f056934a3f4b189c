using System.Runtime.InteropServices;

namespace CryptStack.Crypto;

/// <summary>
/// Keeps key buffers out of swap: each <see cref="SecretKey"/> buffer (pinned, so it never moves) is mlock'ed.
/// The kernel refuses when RLIMIT_MEMLOCK is used up (8 MiB by default; keys take a few pages): the key still
/// works, only without the lock, and <see cref="LockRefused"/> is raised once so the daemon can log a warning.
/// Buffers are never munlock'ed: mlock does not count, so unlocking one key's page would unlock every other key
/// on it; the pages stay locked while the process lives, which bounds them by the pinned heap's size.
/// </summary>
public static unsafe partial class KeyMemory
{
    private static int _firstRefusal;

    /// <summary>Raised once, with the errno of the first refusal.</summary>
    public static event Action<int>? LockRefused;

    /// <summary>The errno of the first refused mlock, or 0 if every key buffer is locked.</summary>
    public static int FirstRefusal => Volatile.Read(ref _firstRefusal);

    /// <summary>A one-line explanation of a refusal, for logs.</summary>
    public static string Describe(int errno) =>
        $"key memory could not be locked (mlock errno {errno}{(errno is 12 or 1 ? ": RLIMIT_MEMLOCK is used up; raise it (ulimit -l, LimitMEMLOCK= in systemd)" : "")}); keys work, but may be written to swap";

    /// <summary>Locks the pages of <paramref name="pinned"/>, which must be a pinned array (it must never move).</summary>
    internal static void Lock(byte[] pinned)
    {
        if (pinned.Length == 0) return;
        fixed (byte* p = pinned)
        {
            if (mlock(p, (nuint)pinned.Length) == 0) return;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (Interlocked.CompareExchange(ref _firstRefusal, errno, 0) == 0) LockRefused?.Invoke(errno);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mlock(void* addr, nuint len);
}
