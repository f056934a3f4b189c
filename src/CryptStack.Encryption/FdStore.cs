using System.Runtime.InteropServices;
using CryptStack.Crypto.Content;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;

namespace CryptStack.Encryption;

/// <summary>A backing file seen by the content engine: pread/pwrite/ftruncate/fallocate/lseek on one fd.</summary>
internal sealed partial class FdStore(int fd) : IRandomAccessStore
{
    public int Fd { get; private set; } = fd;

    /// <summary>Switch to another descriptor of the same file (one with more access rights).</summary>
    public void Replace(int fd) => Fd = fd;

    public long Length
    {
        get
        {
            int rc = Native.FStat(Fd, out var st);
            if (rc < 0) throw new BackingIoException(-rc, "fstat");
            return st.Size;
        }
    }

    public int ReadAt(Span<byte> destination, long offset)
    {
        int n = BackingIo.ReadFully(Fd, destination, offset);
        if (n < 0) throw new BackingIoException(-n, "pread");
        return n;
    }

    public void WriteAt(ReadOnlySpan<byte> source, long offset)
    {
        int n = BackingIo.WriteFully(Fd, source, offset);
        if (n < 0) throw new BackingIoException(-n, "pwrite");
        if (n < source.Length) throw new BackingIoException(Errno.ENOSPC, "pwrite");
    }

    public void SetLength(long length)
    {
        int rc = Native.FTruncate(Fd, length);
        if (rc < 0) throw new BackingIoException(-rc, "ftruncate");
    }

    public void PunchHole(long offset, long length)
    {
        int rc = Native.FAllocate(Fd, Native.FALLOC_FL_PUNCH_HOLE | Native.FALLOC_FL_KEEP_SIZE, offset, length);
        if (rc == -Errno.EOPNOTSUPP) throw new NotSupportedException("backing filesystem cannot punch holes");
        if (rc < 0) throw new BackingIoException(-rc, "fallocate");
    }

    public long SeekData(long offset) => Seek(offset, Native.SEEK_DATA);

    public long SeekHole(long offset) => Seek(offset, Native.SEEK_HOLE);

    private long Seek(long offset, int whence)
    {
        long rc = Native.LSeek(Fd, offset, whence);
        if (rc == -Errno.ENXIO) return -1;
        if (rc < 0) throw new BackingIoException((int)-rc, "lseek");
        return rc;
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int dup(int fd);

    public static int Dup(int fd)
    {
        int rc = dup(fd);
        return rc < 0 ? -Marshal.GetLastPInvokeError() : rc;
    }
}

/// <summary>A backing-file call failed; the errno goes back to FUSE as it is (ENOSPC, EIO, ...).</summary>
internal sealed class BackingIoException(int errno, string call) : IOException($"{call} on the backing file failed (errno {errno})")
{
    public int Errno { get; } = errno;
}
