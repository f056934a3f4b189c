using System.Runtime.InteropServices;

namespace CryptStack.Volume;

/// <summary>
/// Replaces a file so that a crash leaves either the old or the new contents: write a temporary file
/// in the same directory, fsync it, rename(2) it over the target, fsync the directory (the rename is
/// only durable once the directory is; see ext4's data=ordered notes and LWN "ext4 and data loss").
/// </summary>
internal static partial class AtomicFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, Options(FileMode.Create)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            SyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new VolumeException(VolumeErrorKind.Io, $"{path}: cannot write ({e.Message})", e);
        }
    }

    /// <summary>Creates a new file that must not exist yet (O_EXCL), synced with its directory.</summary>
    public static void CreateNew(string path, ReadOnlySpan<byte> content)
    {
        try
        {
            using (var stream = new FileStream(path, Options(FileMode.CreateNew)))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.Io, $"{path}: cannot create ({e.Message})", e);
        }
    }

    private static FileStreamOptions Options(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerReadWrite;
        return options;
    }

    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is reserved and harmless if it stays.
        }
    }

    // <fcntl.h>; these two have the same value on x86-64 and arm64 (O_DIRECTORY does not, so it is left out).
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
