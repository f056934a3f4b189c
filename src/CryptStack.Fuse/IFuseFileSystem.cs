namespace CryptStack.Fuse;

/// <summary>
/// A filesystem served over libfuse3's high-level (path) API. Every method returns 0 or a
/// non-negative count on success and -errno on failure; paths are the mount-relative path
/// ("/a/b") without the trailing NUL. Methods run concurrently on libfuse's worker threads.
/// An exception that escapes is logged through <see cref="FuseMount.CallbackFailed"/> and
/// answered with -EIO.
/// </summary>
public interface IFuseFileSystem
{
    int GetAttr(ReadOnlySpan<byte> path, ref Stat stat, FileInfoRef fi);
    /// <summary>Writes the NUL-terminated target into <paramref name="buffer"/> (truncated to fit).</summary>
    int ReadLink(ReadOnlySpan<byte> path, Span<byte> buffer);
    int MkNod(ReadOnlySpan<byte> path, uint mode, ulong rdev);
    int MkDir(ReadOnlySpan<byte> path, uint mode);
    int Unlink(ReadOnlySpan<byte> path);
    int RmDir(ReadOnlySpan<byte> path);
    int SymLink(ReadOnlySpan<byte> target, ReadOnlySpan<byte> path);
    int Rename(ReadOnlySpan<byte> path, ReadOnlySpan<byte> newPath, uint flags);
    int Link(ReadOnlySpan<byte> path, ReadOnlySpan<byte> newPath);
    int Chmod(ReadOnlySpan<byte> path, uint mode, FileInfoRef fi);
    int Chown(ReadOnlySpan<byte> path, uint uid, uint gid, FileInfoRef fi);
    int Truncate(ReadOnlySpan<byte> path, long length, FileInfoRef fi);
    int Open(ReadOnlySpan<byte> path, ref FuseFileInfo fi);
    int Create(ReadOnlySpan<byte> path, uint mode, ref FuseFileInfo fi);
    int Read(ReadOnlySpan<byte> path, Span<byte> buffer, long offset, ref FuseFileInfo fi);
    int Write(ReadOnlySpan<byte> path, ReadOnlySpan<byte> buffer, long offset, ref FuseFileInfo fi);
    int StatFs(ReadOnlySpan<byte> path, ref StatVfs stat);
    int Flush(ReadOnlySpan<byte> path, ref FuseFileInfo fi);
    int Release(ReadOnlySpan<byte> path, ref FuseFileInfo fi);
    int FSync(ReadOnlySpan<byte> path, bool dataOnly, ref FuseFileInfo fi);
    int SetXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int flags);
    /// <summary>Returns the value's size; with an empty buffer, only the size.</summary>
    int GetXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, Span<byte> value);
    int ListXAttr(ReadOnlySpan<byte> path, Span<byte> list);
    int RemoveXAttr(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name);
    int OpenDir(ReadOnlySpan<byte> path, ref FuseFileInfo fi);
    int ReadDir(ReadOnlySpan<byte> path, DirectoryFiller filler, long offset, ref FuseFileInfo fi, bool plus);
    int ReleaseDir(ReadOnlySpan<byte> path, ref FuseFileInfo fi);
    int FSyncDir(ReadOnlySpan<byte> path, bool dataOnly, ref FuseFileInfo fi);
    int Access(ReadOnlySpan<byte> path, int mode);
    /// <summary>Times use <see cref="TimeSpec.UtimeNow"/> / <see cref="TimeSpec.UtimeOmit"/> like utimensat(2).</summary>
    int UpdateTimestamps(ReadOnlySpan<byte> path, ref TimeSpec atime, ref TimeSpec mtime, FileInfoRef fi);
    int FAllocate(ReadOnlySpan<byte> path, int mode, long offset, long length, ref FuseFileInfo fi);
    /// <summary>Returns the new offset or -errno (SEEK_DATA / SEEK_HOLE included).</summary>
    long LSeek(ReadOnlySpan<byte> path, long offset, int whence, ref FuseFileInfo fi);
}
