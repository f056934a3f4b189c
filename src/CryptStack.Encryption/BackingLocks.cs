using System.Security.Cryptography;
using System.Text;
using CryptStack.Stack.Interop;

namespace CryptStack.Encryption;

/// <summary>
/// Whether the backing filesystem grants the open-file-description locks that keep writers on several mounts
/// (hosts) of one ciphertext directory apart. Some refuse them (NFS without a lock manager, FUSE filesystems
/// that answer ENOLCK): without them two hosts' read-modify-write of one block can tear it.
/// </summary>
public static unsafe class BackingLocks
{
    /// <summary>Null when a write lock on a scratch file in <paramref name="cipherRoot"/> is granted; else why not.</summary>
    public static string? Refusal(string cipherRoot)
    {
        // A reserved cs.* name: hidden from the plaintext view, removed right away.
        string probe = Path.Combine(cipherRoot, "cs.lockprobe." + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant());
        int fd;
        fixed (byte* p = Encoding.UTF8.GetBytes(probe + "\0"))
            fd = Native.OpenAt(Native.AT_FDCWD, p, Native.O_RDWR | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0x180);
        if (fd < 0) return $"cannot create a file to test locking (errno {-fd})";
        try
        {
            var fl = new Native.Flock { Type = Native.F_WRLCK, Whence = 0, Start = 0, Len = 0 };
            int rc = Native.FcntlLock(fd, Native.F_OFD_SETLK, ref fl);
            return rc < 0 ? $"fcntl(F_OFD_SETLK) failed with errno {-rc} ({Describe(-rc)})" : null;
        }
        finally
        {
            Native.Close(fd);
            fixed (byte* p = Encoding.UTF8.GetBytes(probe + "\0")) Native.UnlinkAt(Native.AT_FDCWD, p, 0);
        }
    }

    internal static string Describe(int errno) => errno switch
    {
        37 => "ENOLCK: no locks available",
        95 => "EOPNOTSUPP",
        22 => "EINVAL",
        38 => "ENOSYS",
        _ => "errno " + errno,
    };
}
