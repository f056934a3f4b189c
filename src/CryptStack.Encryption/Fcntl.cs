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

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int posix_fadvise(int fd, long offset, long length, int advice);

    private const int POSIX_FADV_DONTNEED = 4;

    /// <summary>
    /// Drops this host's clean cached pages of the file, so the reads after a lock reach the storage.
    /// A lock does not do it on a network filesystem's FUSE client (measured on GlusterFS, issue #17):
    /// without it a mount reads blocks another host has since rewritten, and a block straddling a stale
    /// and a fresh page fails authentication.
    /// </summary>
    public static void DropCachedPages(int fd) => posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);

    public static void Unlock(int fd)
    {
        var fl = new Native.Flock { Type = Native.F_UNLCK, Whence = 0, Start = 0, Len = 0 };
        Native.FcntlLock(fd, Native.F_OFD_SETLK, ref fl);
    }
}
