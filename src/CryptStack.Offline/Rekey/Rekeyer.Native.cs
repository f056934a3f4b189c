using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Rekey;

/// <summary>The system calls of a rekey pass that .NET does not offer: xattrs, rename without replacing, lchown and times of a symlink, syncfs.</summary>
public sealed unsafe partial class Rekeyer
{
    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private static List<string> XattrNames(string path)
    {
        var names = new List<string>();
        var buffer = new byte[64 * 1024];
        int n;
        fixed (byte* p = Z(path)) n = Native.ListXAttr(p, buffer);
        if (n <= 0) return names;
        foreach (var part in Encoding.ASCII.GetString(buffer, 0, n).Split('\0', StringSplitOptions.RemoveEmptyEntries)) names.Add(part);
        return names;
    }

    private static byte[]? GetXattr(string path, string name)
    {
        var buffer = new byte[64 * 1024 + 64];
        int n;
        fixed (byte* p = Z(path))
        fixed (byte* x = Z(name))
            n = Native.GetXAttr(p, x, buffer);
        return n < 0 ? null : buffer[..n];
    }

    private static void SetXattr(string path, string name, byte[] value)
    {
        int rc;
        fixed (byte* p = Z(path))
        fixed (byte* x = Z(name))
            rc = Native.SetXAttr(p, x, value, 0);
        if (rc < 0) throw new IOException($"{path}: cannot set xattr {name} (errno {-rc})");
    }

    private static void RemoveXattr(string path, string name)
    {
        fixed (byte* p = Z(path))
        fixed (byte* x = Z(name))
            Native.RemoveXAttr(p, x);
    }

    private static void RenameNoReplace(string from, string to) => Rename(from, to, Native.RENAME_NOREPLACE);

    private static void RenameReplace(string from, string to) => Rename(from, to, 0);

    private static void Rename(string from, string to, uint flags)
    {
        int rc;
        fixed (byte* f = Z(from))
        fixed (byte* t = Z(to))
            rc = Native.RenameAt2(Native.AT_FDCWD, f, Native.AT_FDCWD, t, flags);
        if (rc < 0) throw new IOException($"{from}: cannot rename to {Path.GetFileName(to)} (errno {-rc})");
    }

    private static void CopyOwnerAndTimes(string from, string to)
    {
        Stat st;
        int rc;
        fixed (byte* f = Z(from)) rc = Native.FStatAt(Native.AT_FDCWD, f, out st);
        if (rc < 0) return;
        fixed (byte* t = Z(to))
        {
            Native.FChownAt(Native.AT_FDCWD, t, st.Uid, st.Gid, Native.AT_SYMLINK_NOFOLLOW);
            TimeSpec* times = stackalloc TimeSpec[2];
            times[0] = st.ATime;
            times[1] = st.MTime;
            Native.UtimensAt(Native.AT_FDCWD, t, times, Native.AT_SYMLINK_NOFOLLOW);
        }
    }

    private static (TimeSpec ATime, TimeSpec MTime)? TimesOf(string path)
    {
        Stat st;
        int rc;
        fixed (byte* p = Z(path)) rc = Native.FStatAt(Native.AT_FDCWD, p, out st);
        return rc < 0 ? null : (st.ATime, st.MTime);
    }

    private static void SetTimes(string path, (TimeSpec ATime, TimeSpec MTime) t)
    {
        TimeSpec* times = stackalloc TimeSpec[2];
        times[0] = t.ATime;
        times[1] = t.MTime;
        fixed (byte* p = Z(path)) Native.UtimensAt(Native.AT_FDCWD, p, times, Native.AT_SYMLINK_NOFOLLOW);
    }

    /// <summary>Everything written to the backing filesystem reaches the disk before the config says the rekey is done.</summary>
    private static void SyncFs(string path)
    {
        int fd;
        fixed (byte* p = Z(path)) fd = Native.OpenAt(Native.AT_FDCWD, p, Native.O_RDONLY);
        if (fd < 0) return;
        try { syncfs(fd); }
        finally { Native.Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "syncfs")]
    private static partial int syncfs(int fd);
}
