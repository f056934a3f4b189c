namespace CryptStack.Stack;

/// <summary>
/// The three places where an upper layer changes what the stack stores: file contents,
/// names (with link targets and xattrs, which are names and values in the same sense), and
/// the size the upper file shows for a backing size. The stack itself never learns what the
/// bytes mean; <see cref="Identity"/> makes it a plain passthrough mount.
/// </summary>
public sealed record StackTransforms(IContentTransform Content, INameTransform Names, ISizeMap Sizes)
{
    public static StackTransforms Identity { get; } =
        new(IdentityContentTransform.Instance, IdentityNameTransform.Instance, IdentitySizeMap.Instance);
}

/// <summary>A backing file opened for an upper open: the fd and both names, for log lines.</summary>
public readonly record struct LowerFile(int Fd, string UpperPath, string LowerPath);

/// <summary>Transforms file contents on the read and write paths.</summary>
public interface IContentTransform
{
    /// <summary>open(2) flags for the backing file behind an upper open with <paramref name="upperFlags"/>.</summary>
    int LowerOpenFlags(int upperFlags);

    /// <summary>Per-open state over a backing file the stack has opened (and will close after Dispose).</summary>
    IFileContent Open(LowerFile file);
}

/// <summary>
/// The content of one open file. Results are byte counts or offsets, or -errno: this is the
/// read/write hot path and runs without exceptions or allocations when all is well.
/// </summary>
public interface IFileContent : IDisposable
{
    int Read(Span<byte> buffer, long offset);
    int Write(ReadOnlySpan<byte> buffer, long offset);
    int SetLength(long length);
    int Allocate(int mode, long offset, long length);
    long Seek(long offset, int whence);
    /// <summary>fsync / fdatasync of whatever the content keeps, then of the backing file.</summary>
    int Sync(bool dataOnly);
}

/// <summary>fsstack_copy_inode_size's mapping: the size an upper regular file shows for a backing size.</summary>
public interface ISizeMap
{
    long UpperSize(long lowerSize);
}

/// <summary>A backing name, with the long form a transform keeps beside it when the name is too long to store.</summary>
public readonly record struct LowerName(byte[] Name, byte[]? LongForm = null);

/// <summary>
/// Names per path component, symlink targets and extended attributes. A transform may keep
/// files of its own in backing directories (directory ids, long-name sidecars): it hides them
/// in <see cref="Decode"/> and maintains them in the entry hooks.
/// </summary>
public interface INameTransform
{
    /// <summary>Backing names, link targets and xattrs equal the upper ones: the stack skips decoding and copies.</summary>
    bool IsIdentity { get; }

    /// <summary>
    /// What naming entries of a backing directory needs (e.g. its directory id), loaded once and cached.
    /// <paramref name="parent"/> is the parent's state and <paramref name="lowerName"/> the directory's backing
    /// name in it (both unused for the root), for a transform that binds a directory's state to its place.
    /// </summary>
    object? LoadDirectory(int lowerDirFd, string upperPath, bool isRoot, object? parent, ReadOnlySpan<byte> lowerName);

    /// <summary>Backing name of <paramref name="upperName"/>; throws <see cref="StackException"/> (ENAMETOOLONG, ...).</summary>
    LowerName Encode(object? directory, ReadOnlySpan<byte> upperName);

    /// <summary>
    /// While the transform's keys are being rotated (an interrupted `cryptstack rekey`): the backing name
    /// <paramref name="upperName"/> had under the previous key, for a lookup that does not find the current one; else null.
    /// </summary>
    LowerName? EncodePrevious(object? directory, ReadOnlySpan<byte> upperName) => null;

    /// <summary>As <see cref="EncodePrevious"/>, for an xattr name.</summary>
    byte[]? EncodeXattrNamePrevious(ReadOnlySpan<byte> name) => null;

    /// <summary>Upper name of a backing entry, or null to leave it out (own files, names that fail authentication).</summary>
    byte[]? Decode(object? directory, int lowerDirFd, ReadOnlySpan<byte> lowerName);

    /// <summary>
    /// Before an entry gets the backing name <paramref name="name"/> (create, mkdir, mknod, symlink, link, the
    /// target of a rename): writes what must exist before the entry (a long name's sidecar), so that a crash
    /// in between leaves at worst an unused file, never an entry that cannot be named.
    /// </summary>
    void Naming(int lowerDirFd, in LowerName name);

    /// <summary>The operation after <see cref="Naming"/> failed: undoes it unless an entry has the name.</summary>
    void NamingFailed(int lowerDirFd, in LowerName name);

    /// <summary>After an entry got its backing name (create, mkdir, mknod, symlink, link).</summary>
    void Created(object? directory, int lowerDirFd, in LowerName name, bool isDirectory);

    /// <summary>After link(2) gave the entry <paramref name="sourceLowerName"/> of <paramref name="sourceDirFd"/> a second name (after <see cref="Created"/>).</summary>
    void Linked(int sourceDirFd, ReadOnlySpan<byte> sourceLowerName, int lowerDirFd, in LowerName name);

    /// <summary>After an entry was unlinked.</summary>
    void Removed(int lowerDirFd, in LowerName name);

    /// <summary>Before renameat2 moves (or exchanges) entries: prepares what must exist at their new place.</summary>
    void PrepareRename(object? oldDirectory, int oldDirFd, in LowerName oldName, object? newDirectory, int newDirFd, in LowerName newName, uint flags);

    /// <summary>The renameat2 after <see cref="PrepareRename"/> failed: undoes it.</summary>
    void RenameFailed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags);

    /// <summary>After renameat2 moved (or exchanged) entries.</summary>
    void Renamed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags);

    /// <summary>Removes a backing directory, and whatever the transform keeps inside it. 0 or -errno.</summary>
    int RemoveDirectory(int lowerParentFd, in LowerName name);

    /// <summary>Backing symlink target for <paramref name="target"/>.</summary>
    byte[] EncodeLinkTarget(int lowerDirFd, in LowerName linkName, ReadOnlySpan<byte> target);

    /// <summary>Writes the upper target into <paramref name="destination"/>; its length, or -errno.</summary>
    int DecodeLinkTarget(int lowerDirFd, ReadOnlySpan<byte> lowerLinkName, ReadOnlySpan<byte> lowerTarget, Span<byte> destination);

    /// <summary>Backing xattr name, or null if the name cannot be stored (EOPNOTSUPP).</summary>
    byte[]? EncodeXattrName(ReadOnlySpan<byte> name);

    /// <summary>Upper xattr name, or null to leave it out of listxattr.</summary>
    byte[]? DecodeXattrName(ReadOnlySpan<byte> lowerName);

    byte[] EncodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> value);

    /// <summary>Plain value length written to <paramref name="destination"/> (or only the length if it is empty), or -errno.</summary>
    int DecodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> stored, Span<byte> destination);
}

/// <summary>A failure inside the stack with the errno FUSE should see.</summary>
public sealed class StackException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}
