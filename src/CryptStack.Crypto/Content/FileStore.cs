using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CryptStack.Crypto.Content;

/// <summary>
/// <see cref="IRandomAccessStore"/> over an ordinary file, for offline tools and tests. Linux only:
/// holes and seeking use fallocate(2) and lseek(2) directly because .NET exposes neither.
/// </summary>
public sealed partial class FileStore : IRandomAccessStore, IDisposable
{
    private const int FallocFlKeepSize = 0x01;
    private const int FallocFlPunchHole = 0x02;
    private const int SeekDataWhence = 3;
    private const int SeekHoleWhence = 4;
    private const int ENXIO = 6;
    private const int EINVAL = 22;
    private const int EOPNOTSUPP = 95;

    private readonly SafeFileHandle _handle;
    private readonly bool _ownsHandle;

    public FileStore(SafeFileHandle handle, bool ownsHandle = false)
    {
        _handle = handle;
        _ownsHandle = ownsHandle;
    }

    public static FileStore Open(string path, FileMode mode = FileMode.OpenOrCreate, FileAccess access = FileAccess.ReadWrite) =>
        new(File.OpenHandle(path, mode, access, FileShare.ReadWrite), ownsHandle: true);

    public long Length => RandomAccess.GetLength(_handle);

    public int ReadAt(Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = RandomAccess.Read(_handle, destination[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public void WriteAt(ReadOnlySpan<byte> source, long offset) => RandomAccess.Write(_handle, source, offset);

    public void SetLength(long length) => RandomAccess.SetLength(_handle, length);

    public void PunchHole(long offset, long length)
    {
        if (length <= 0) return;
        int result = WithDescriptor(fd => Fallocate(fd, FallocFlPunchHole | FallocFlKeepSize, offset, length));
        if (result == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is EOPNOTSUPP or EINVAL) throw new NotSupportedException("the backing filesystem cannot punch holes");
        throw new IOException($"fallocate(PUNCH_HOLE) failed: errno {errno}");
    }

    public long SeekData(long offset) => Seek(offset, SeekDataWhence);

    public long SeekHole(long offset) => Seek(offset, SeekHoleWhence);

    private long Seek(long offset, int whence)
    {
        long length = Length;
        if (offset >= length) return -1;
        long result = WithDescriptor(fd => Lseek(fd, offset, whence));
        if (result >= 0) return result;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ENXIO) return -1;
        // A filesystem without SEEK_DATA/SEEK_HOLE: the whole file is data, as lseek(2) allows.
        if (errno == EINVAL) return whence == SeekDataWhence ? offset : length;
        throw new IOException($"lseek(whence {whence}) failed: errno {errno}");
    }

    private long WithDescriptor(Func<int, long> call)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return call((int)_handle.DangerousGetHandle());
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    private int WithDescriptor(Func<int, int> call) => (int)WithDescriptor(fd => (long)call(fd));

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    public void Dispose()
    {
        if (_ownsHandle) _handle.Dispose();
    }
}
