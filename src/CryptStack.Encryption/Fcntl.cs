using System.Runtime.InteropServices;
using CryptStack.Stack.Interop;

namespace CryptStack.Encryption;

internal static partial class Fcntl
{
    private const int F_GETFL = 3;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    public static int GetFlags(int fd) => fcntl(fd, F_GETFL, 0);

    /// <summary>
    /// An open-file-description lock over the whole backing file. Blocks are resealed beyond the
    /// written range (the final flag, the hole count of the next data block), so a writer locks it all.
    /// OFD locks conflict between mounts (other daemons, other NFS clients) but not within one
    /// description, where the node's monitor already serialises.
    /// </summary>
    public static int LockWhole(int fd, bool write)
    {
        var fl = new Native.Flock { Type = write ? Native.F_WRLCK : Native.F_RDLCK, Whence = 0, Start = 0, Len = 0 };
        int rc;
        do rc = Native.FcntlLock(fd, Native.F_OFD_SETLKW, ref fl);
        while (rc == -4 /* EINTR */);
        return rc;
    }

    public static void Unlock(int fd)
    {
        var fl = new Native.Flock { Type = Native.F_UNLCK, Whence = 0, Start = 0, Len = 0 };
        Native.FcntlLock(fd, Native.F_OFD_SETLK, ref fl);
    }
}
