using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

public sealed class IdentitySizeMap : ISizeMap
{
    public static IdentitySizeMap Instance { get; } = new();
    public long UpperSize(long lowerSize) => lowerSize;
}

public sealed class IdentityContentTransform : IContentTransform
{
    public static IdentityContentTransform Instance { get; } = new();

    // The kernel already turned O_APPEND into an offset; on the backing fd it would make pwrite
    // ignore that offset.
    public int LowerOpenFlags(int upperFlags) => upperFlags & ~(Native.O_APPEND | Native.O_CREAT | Native.O_EXCL | Native.O_TRUNC | Native.O_NOCTTY);

    public IFileContent Open(LowerFile file) => new PassthroughContent(file.Fd);
}

/// <summary>Content served straight from the backing fd, as fs/backing-file.c does.</summary>
public sealed class PassthroughContent(int fd) : IFileContent
{
    public int Read(Span<byte> buffer, long offset) => BackingIo.ReadFully(fd, buffer, offset);
    public int Write(ReadOnlySpan<byte> buffer, long offset) => BackingIo.WriteFully(fd, buffer, offset);
    public int SetLength(long length) => Native.FTruncate(fd, length);
    public int Allocate(int mode, long offset, long length) => Native.FAllocate(fd, mode, offset, length);
    public long Seek(long offset, int whence) => Native.LSeek(fd, offset, whence);
    public int Sync(bool dataOnly) => dataOnly ? Native.FDataSync(fd) : Native.FSync(fd);
    public void Dispose() { }
}

public sealed class IdentityNameTransform : INameTransform
{
    public static IdentityNameTransform Instance { get; } = new();

    public bool IsIdentity => true;
    public object? LoadDirectory(int lowerDirFd, string upperPath, bool isRoot, object? parent, ReadOnlySpan<byte> lowerName) => null;
    public LowerName Encode(object? directory, ReadOnlySpan<byte> upperName) => new(upperName.ToArray());
    public byte[]? Decode(object? directory, int lowerDirFd, ReadOnlySpan<byte> lowerName) => lowerName.ToArray();
    public void Naming(int lowerDirFd, in LowerName name) { }
    public void NamingFailed(int lowerDirFd, in LowerName name) { }
    public void Created(object? directory, int lowerDirFd, in LowerName name, bool isDirectory) { }
    public void PrepareRename(object? oldDirectory, int oldDirFd, in LowerName oldName, object? newDirectory, int newDirFd, in LowerName newName, uint flags) { }
    public void RenameFailed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags) { }
    public void Linked(int sourceDirFd, ReadOnlySpan<byte> sourceLowerName, int lowerDirFd, in LowerName name) { }
    public void Removed(int lowerDirFd, in LowerName name) { }
    public void Renamed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags) { }

    public unsafe int RemoveDirectory(int lowerParentFd, in LowerName name)
    {
        fixed (byte* n = NativeString.Z(name.Name)) return Native.UnlinkAt(lowerParentFd, n, Native.AT_REMOVEDIR);
    }

    public byte[] EncodeLinkTarget(int lowerDirFd, in LowerName linkName, ReadOnlySpan<byte> target) => target.ToArray();

    public int DecodeLinkTarget(int lowerDirFd, ReadOnlySpan<byte> lowerLinkName, ReadOnlySpan<byte> lowerTarget, Span<byte> destination)
    {
        if (lowerTarget.Length > destination.Length) return -Errno.ENAMETOOLONG;
        lowerTarget.CopyTo(destination);
        return lowerTarget.Length;
    }

    public byte[]? EncodeXattrName(ReadOnlySpan<byte> name) => name.ToArray();
    public byte[]? DecodeXattrName(ReadOnlySpan<byte> lowerName) => lowerName.ToArray();
    public byte[] EncodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> value) => value.ToArray();

    public int DecodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> stored, Span<byte> destination)
    {
        if (destination.Length == 0) return stored.Length;
        if (stored.Length > destination.Length) return -Errno.ERANGE;
        stored.CopyTo(destination);
        return stored.Length;
    }
}
