using System.Text;
using CryptStack.Crypto.Names;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

/// <summary>
/// Names, link targets and xattrs (docs/format.md): every backing directory holds cs.dirid, its
/// random id, which is the associated data of the names inside it; names too long to store go to
/// cs.lng.HASH with the full encrypted name in a .name sidecar; link targets too long for a
/// symlink go to a .lnk sidecar. This class keeps those files in step with the entries.
/// </summary>
/// <remarks>
/// Format version 2 binds each cs.dirid to its directory's place (<see cref="DirectoryIdCodec"/>, null for a version 1
/// volume): creating a directory seals its id for its place, renaming one re-seals its id for the new place through
/// cs.dirid.pending (written before the rename, moved over cs.dirid after it, so a crash in between leaves one of
/// the two valid for wherever the directory is).
/// </remarks>
internal sealed unsafe partial class EncryptedNameTransform(NameCodec names, LinkTargetCodec links, XattrCodec xattrs, DirectoryIdCodec? dirIds, ILogger log, IDamageObserver damage,
    PreviousKeyCodecs? previous = null) : INameTransform
{
    /// <summary>What naming entries of one backing directory needs.</summary>
    private sealed record DirectoryState(byte[] Id, string UpperPath, bool IsRoot);

    private static readonly byte[] DirIdName = Encoding.ASCII.GetBytes(BackingNames.DirIdFileName + "\0");
    private static readonly byte[] PendingDirIdName = Encoding.ASCII.GetBytes(BackingNames.PendingDirIdFileName + "\0");

    /// <summary>The most a cs.dirid file may hold: 16 bytes in version 1, 48 in version 2.</summary>
    private int DirIdFileSize => dirIds == null ? DirectoryId.Size : DirectoryIdCodec.SealedSize;

    public bool IsIdentity => false;

    public object? LoadDirectory(int lowerDirFd, string upperPath, bool isRoot, object? parent, ReadOnlySpan<byte> lowerName)
    {
        byte[]? content = ReadSmallFile(lowerDirFd, DirIdName, DirIdFileSize + 1, out int errno, out string? problem);
        if (content == null)
        {
            log.LogError("{Directory}: cannot read its directory id ({File} {Problem}, errno {Errno}); names inside cannot be decrypted (run fsck)",
                upperPath, BackingNames.DirIdFileName, problem, errno);
            damage.Found(new DamageReport(DamageKind.DirectoryId, upperPath, BackingPaths.Of(lowerDirFd, BackingNames.DirIdFileName), $"cannot read its directory id: {BackingNames.DirIdFileName} {problem} (errno {errno})"));
            throw new StackException(Errno.EIO, $"{upperPath}: directory id unreadable");
        }
        try
        {
            if (dirIds == null) return new DirectoryState(DirectoryId.Parse(content, upperPath), upperPath, isRoot);
            ReadOnlySpan<byte> parentId = isRoot ? default : ((DirectoryState)parent!).Id;
            try { return new DirectoryState(dirIds.Open(content, parentId, lowerName, upperPath), upperPath, isRoot); }
            catch (DirectoryIdException) when (AdoptPendingDirectoryId(lowerDirFd, parentId, lowerName, upperPath) is { } pending)
            {
                return new DirectoryState(pending, upperPath, isRoot);
            }
        }
        catch (CiphertextFormatException e)
        {
            log.LogError("{Directory}: {Reason}", upperPath, e.Message);
            damage.Found(new DamageReport(DamageKind.DirectoryId, upperPath, BackingPaths.Of(lowerDirFd, BackingNames.DirIdFileName), e.Message));
            throw new StackException(Errno.EIO, e.Message);
        }
    }

    public LowerName Encode(object? directory, ReadOnlySpan<byte> upperName)
    {
        var dir = (DirectoryState)directory!;
        string encoded;
        try { encoded = names.Encrypt(upperName, dir.Id); }
        catch (InvalidPlaintextNameException e)
        {
            throw new StackException(e.Reason == InvalidNameReason.TooLong ? Errno.ENAMETOOLONG : Errno.EINVAL, e.Message);
        }
        string backing = BackingNames.BackingNameFor(encoded);
        return ReferenceEquals(backing, encoded) || backing == encoded
            ? new LowerName(Encoding.ASCII.GetBytes(backing))
            : new LowerName(Encoding.ASCII.GetBytes(backing), BackingNames.SidecarContentFor(encoded));
    }

    public byte[]? Decode(object? directory, int lowerDirFd, ReadOnlySpan<byte> lowerName)
    {
        var dir = (DirectoryState)directory!;
        string name = Encoding.Latin1.GetString(lowerName);
        try
        {
            switch (BackingNames.Classify(name, dir.IsRoot))
            {
                case BackingNameKind.EncodedName:
                    return DecryptName(name, dir.Id);
                case BackingNameKind.LongName:
                    byte[]? sidecar = ReadSmallFile(lowerDirFd, Z(BackingNames.SidecarNameFor(name)), BackingNames.MaxSidecarBytes, out int errno, out string? problem);
                    if (sidecar == null)
                    {
                        log.LogWarning("{Directory}: long name {Name} has no readable sidecar (it {Problem}, errno {Errno}); left out", dir.UpperPath, name, problem, errno);
                        damage.Found(new DamageReport(DamageKind.Name, dir.UpperPath, BackingPaths.Of(lowerDirFd, name), $"long name without a readable sidecar (it {problem})"));
                        return null;
                    }
                    return DecryptName(BackingNames.EncodedNameFromSidecar(name, sidecar), dir.Id);
                case BackingNameKind.Foreign:
                    log.LogWarning("{Directory}: backing entry {Name} was not written by CryptStack; left out", dir.UpperPath, name);
                    damage.Found(new DamageReport(DamageKind.Name, dir.UpperPath, BackingPaths.Of(lowerDirFd, name), "not a name CryptStack writes"));
                    return null;
                default:
                    return null;
            }
        }
        catch (CiphertextFormatException e)
        {
            log.LogWarning("{Directory}: backing entry {Name} does not decrypt ({Reason}); left out", dir.UpperPath, name, e.Message);
            damage.Found(new DamageReport(DamageKind.Name, dir.UpperPath, BackingPaths.Of(lowerDirFd, name), e.Message));
            return null;
        }
    }

    // The long name's sidecar goes first (docs/format.md 5.3): a crash before the entry exists leaves an unused
    // sidecar (fsck lists it), never an entry without its name.
    public void Naming(int lowerDirFd, in LowerName name)
    {
        if (name.LongForm != null) WriteSidecar(lowerDirFd, LongNameSidecar(name), name.LongForm);
    }

    public void NamingFailed(int lowerDirFd, in LowerName name)
    {
        if (name.LongForm != null && !Exists(lowerDirFd, name.Name)) UnlinkIfPresent(lowerDirFd, LongNameSidecar(name));
    }

    public void Created(object? directory, int lowerDirFd, in LowerName name, bool isDirectory)
    {
        if (isDirectory) CreateDirectoryId((DirectoryState)directory!, lowerDirFd, name.Name);
    }

    public void Linked(int sourceDirFd, ReadOnlySpan<byte> sourceLowerName, int lowerDirFd, in LowerName name)
    {
        // A symlink whose target lives in a .lnk sidecar: the new name needs its own copy (same content: the
        // backing target names the sidecar's hash, which does not depend on the link's name).
        byte[]? sidecar = ReadSmallFile(sourceDirFd, LinkSidecar(sourceLowerName), LinkTargetCodec.MaxSidecarBytes, out _, out _);
        if (sidecar != null) WriteSidecar(lowerDirFd, LinkSidecar(name.Name), sidecar);
    }

    public void Removed(int lowerDirFd, in LowerName name)
    {
        if (name.LongForm != null) UnlinkIfPresent(lowerDirFd, LongNameSidecar(name));
        UnlinkIfPresent(lowerDirFd, LinkSidecar(name.Name));
    }

    public void Renamed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags)
    {
        FinishDirectoryMoves(oldDirFd, oldName, newDirFd, newName, flags);
        bool exchange = (flags & Native.RENAME_EXCHANGE) != 0;
        // rename(2) between two hard links of one file succeeds and changes nothing: the old name stays.
        if (!exchange && Exists(oldDirFd, oldName.Name)) return;
        if (!exchange && oldName.LongForm != null) UnlinkIfPresent(oldDirFd, LongNameSidecar(oldName));

        // A link-target sidecar belongs to whatever entry now has the name.
        byte[] oldLink = LinkSidecar(oldName.Name), newLink = LinkSidecar(newName.Name);
        fixed (byte* o = oldLink)
        fixed (byte* n = newLink)
        {
            if (exchange)
            {
                int rc = Native.RenameAt2(oldDirFd, o, newDirFd, n, Native.RENAME_EXCHANGE);
                if (rc == -Errno.ENOENT)
                {
                    // Only one side had a sidecar: move it across.
                    if (Native.RenameAt2(oldDirFd, o, newDirFd, n, Native.RENAME_NOREPLACE) == -Errno.ENOENT)
                        Native.RenameAt2(newDirFd, n, oldDirFd, o, Native.RENAME_NOREPLACE);
                }
            }
            else
            {
                Native.UnlinkAt(newDirFd, n, 0);
                Native.RenameAt2(oldDirFd, o, newDirFd, n, 0);
            }
        }
    }

    public int RemoveDirectory(int lowerParentFd, in LowerName name)
    {
        int dirFd;
        fixed (byte* n = NativeString.Z(name.Name))
            dirFd = Native.OpenAt(lowerParentFd, n, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
        if (dirFd < 0) return dirFd;
        try
        {
            if (HasEntriesBesidesDirId(dirFd)) return -Errno.ENOTEMPTY;
            byte[]? id = ReadSmallFile(dirFd, DirIdName, DirIdFileSize + 1, out _, out _);
            fixed (byte* p = PendingDirIdName) Native.UnlinkAt(dirFd, p, 0);
            fixed (byte* d = DirIdName)
                Native.UnlinkAt(dirFd, d, 0);
            int rc;
            fixed (byte* n = NativeString.Z(name.Name))
                rc = Native.UnlinkAt(lowerParentFd, n, Native.AT_REMOVEDIR);
            if (rc < 0 && id != null)
            {
                // Someone created an entry meanwhile (another mount): put the id back, or its names are lost.
                WriteFile(dirFd, DirIdName, id, 0x124, exclusive: true);
            }
            return rc;
        }
        finally { Native.Close(dirFd); }
    }

    public byte[] EncodeLinkTarget(int lowerDirFd, in LowerName linkName, ReadOnlySpan<byte> target)
    {
        if (target.Length > LinkTargetCodec.MaxPlainTargetBytes) throw new StackException(Errno.ENAMETOOLONG, "symlink target too long");
        if (target.IsEmpty) throw new StackException(Errno.ENOENT, "empty symlink target");
        string encoded = links.Encrypt(target);
        if (!LinkTargetCodec.NeedsSidecar(encoded)) return Encoding.ASCII.GetBytes(encoded);
        WriteSidecar(lowerDirFd, LinkSidecar(linkName.Name), LinkTargetCodec.SidecarContentFor(encoded));
        return Encoding.ASCII.GetBytes(LinkTargetCodec.BackingTargetFor(encoded));
    }

    public int DecodeLinkTarget(int lowerDirFd, ReadOnlySpan<byte> lowerLinkName, ReadOnlySpan<byte> lowerTarget, Span<byte> destination)
    {
        string stored = Encoding.Latin1.GetString(lowerTarget);
        try
        {
            string encoded = stored;
            if (LinkTargetCodec.IsIndirectTarget(stored))
            {
                byte[]? sidecar = ReadSmallFile(lowerDirFd, LinkSidecar(lowerLinkName), LinkTargetCodec.MaxSidecarBytes, out int errno, out string? problem);
                if (sidecar == null) throw new LinkTargetDecryptionException($"link-target sidecar {problem} (errno {errno})");
                encoded = LinkTargetCodec.EncodedFromSidecar(stored, sidecar);
            }
            byte[] plain = WithPrevious(() => links.Decrypt(encoded), p => p.Links.Decrypt(encoded));
            if (plain.Length > destination.Length) return -Errno.ENAMETOOLONG;
            plain.CopyTo(destination);
            return plain.Length;
        }
        catch (CiphertextFormatException e)
        {
            log.LogError("symlink {LowerName}: {Reason}", Encoding.Latin1.GetString(lowerLinkName), e.Message);
            damage.Found(new DamageReport(DamageKind.LinkTarget, null, BackingPaths.Of(lowerDirFd, Encoding.Latin1.GetString(lowerLinkName)), e.Message));
            return -Errno.EIO;
        }
    }

    /// <summary>
    /// Encrypted xattr names by plaintext name. The kernel asks for `security.capability` before
    /// nearly every write (FUSE keeps no "has no xattrs" flag), and AES-SIV of that same name each
    /// time cost more than the rest of the request. Deterministic, so caching changes nothing else.
    /// </summary>
    private sealed record XattrName(byte[] Plain, byte[]? Encoded);

    /// <summary>A handful of names in practice: a linear scan, without allocating per request; replaced whole on add.</summary>
    private XattrName[] _xattrNames = [];
    private readonly object _xattrNamesGate = new();
    private const int XattrNamesKept = 64;

    public byte[]? EncodeXattrName(ReadOnlySpan<byte> name)
    {
        foreach (var known in Volatile.Read(ref _xattrNames))
            if (name.SequenceEqual(known.Plain)) return known.Encoded;
        byte[]? encoded;
        try { encoded = Encoding.ASCII.GetBytes(xattrs.EncryptName(name)); }
        catch (UnsupportedXattrNameException) { encoded = null; }
        lock (_xattrNamesGate)
        {
            var names = _xattrNames;
            if (names.Length < XattrNamesKept) Volatile.Write(ref _xattrNames, [.. names, new XattrName(name.ToArray(), encoded)]);
        }
        return encoded;
    }

    public byte[]? EncodeXattrNamePrevious(ReadOnlySpan<byte> name)
    {
        if (previous == null) return null;
        try { return Encoding.ASCII.GetBytes(previous.Xattrs.EncryptName(name)); }
        catch (UnsupportedXattrNameException) { return null; }
    }

    public LowerName? EncodePrevious(object? directory, ReadOnlySpan<byte> upperName)
    {
        if (previous == null) return null;
        var dir = (DirectoryState)directory!;
        string encoded;
        try { encoded = previous.Names.Encrypt(upperName, dir.Id); }
        catch (InvalidPlaintextNameException) { return null; }
        string backing = BackingNames.BackingNameFor(encoded);
        return backing == encoded
            ? new LowerName(Encoding.ASCII.GetBytes(backing))
            : new LowerName(Encoding.ASCII.GetBytes(backing), BackingNames.SidecarContentFor(encoded));
    }

    private byte[] DecryptName(string encoded, byte[] dirId) => WithPrevious(() => names.Decrypt(encoded, dirId), p => p.Names.Decrypt(encoded, dirId));

    /// <summary>The current key first; while a rekey runs, the previous one when the current one does not authenticate.</summary>
    private T WithPrevious<T>(Func<T> current, Func<PreviousKeyCodecs, T> fallback)
    {
        try { return current(); }
        catch (CiphertextFormatException) when (previous != null)
        {
            try { return fallback(previous); }
            catch (CiphertextFormatException) { }
            throw;
        }
    }

    public byte[]? DecodeXattrName(ReadOnlySpan<byte> lowerName)
    {
        string name = Encoding.Latin1.GetString(lowerName);
        if (!XattrCodec.IsEncryptedName(name)) return null;
        try { return WithPrevious(() => xattrs.DecryptName(name), p => p.Xattrs.DecryptName(name)); }
        catch (CiphertextFormatException e)
        {
            log.LogWarning("xattr {Name}: {Reason}; left out", name, e.Message);
            damage.Found(new DamageReport(DamageKind.XattrName, null, name, e.Message));
            return null;
        }
    }

    public byte[] EncodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> value)
    {
        try { return xattrs.EncryptValue(value, Encoding.ASCII.GetString(lowerName)); }
        catch (ArgumentException e) { throw new StackException(Errno.E2BIG, e.Message); }
    }

    public int DecodeXattrValue(ReadOnlySpan<byte> lowerName, ReadOnlySpan<byte> stored, Span<byte> destination)
    {
        byte[] plain;
        try
        {
            string storedName = Encoding.ASCII.GetString(lowerName);
            byte[] copy = stored.ToArray();
            plain = WithPrevious(() => xattrs.DecryptValue(copy, storedName), p => p.Xattrs.DecryptValue(copy, storedName));
        }
        catch (CiphertextFormatException e)
        {
            log.LogError("xattr {Name}: {Reason}", Encoding.ASCII.GetString(lowerName), e.Message);
            damage.Found(new DamageReport(DamageKind.XattrValue, null, Encoding.ASCII.GetString(lowerName), e.Message));
            return -Errno.EIO;
        }
        if (destination.Length == 0) return plain.Length;
        if (plain.Length > destination.Length) return -Errno.ERANGE;
        plain.CopyTo(destination);
        return plain.Length;
    }

    // ---- backing bookkeeping files -------------------------------------------------------

    private static byte[] Z(string s) => Encoding.ASCII.GetBytes(s + "\0");

    private static byte[] LongNameSidecar(in LowerName name) => Z(BackingNames.SidecarNameFor(Encoding.ASCII.GetString(name.Name)));

    private static byte[] LinkSidecar(ReadOnlySpan<byte> lowerName) => Z(LinkTargetCodec.SidecarNameFor(Encoding.Latin1.GetString(lowerName)));

    private void CreateDirectoryId(DirectoryState parent, int parentFd, byte[] dirName)
    {
        byte[] id = DirectoryId.New();
        byte[] content = dirIds == null ? id : dirIds.Seal(id, parent.Id, dirName);
        int dirFd;
        fixed (byte* n = Z(Encoding.Latin1.GetString(dirName)))
            dirFd = Native.OpenAt(parentFd, n, Native.O_PATH | Native.O_DIRECTORY | Native.O_NOFOLLOW);
        if (dirFd < 0) throw new StackException(-dirFd, "cannot open the new directory");
        try
        {
            int rc = WriteFile(dirFd, DirIdName, content, 0x124 /* 0444 */, exclusive: true);
            if (rc == -Errno.EACCES)
            {
                // A directory made without write permission (mkdir -m 555) as a non-root daemon:
                // lend ourselves u+w long enough to write the id.
                fixed (byte* n = Z(Encoding.Latin1.GetString(dirName)))
                {
                    Native.FStatAt(parentFd, n, out var st);
                    Native.FChmodAtNoFollow(parentFd, n, (st.Mode & 0xFFF) | 0x80);
                    rc = WriteFile(dirFd, DirIdName, content, 0x124, exclusive: true);
                    Native.FChmodAtNoFollow(parentFd, n, st.Mode & 0xFFF);
                }
            }
            if (rc < 0) throw new StackException(-rc, "cannot write the directory id");
        }
        finally { Native.Close(dirFd); }
    }

    private static bool Exists(int dirFd, byte[] name)
    {
        fixed (byte* n = NativeString.Z(name)) return Native.FStatAt(dirFd, n, out _) == 0;
    }

    private static bool HasEntriesBesidesDirId(int dirFd)
    {
        int fd;
        fixed (byte* dot = ".\0"u8) fd = Native.OpenAt(dirFd, dot, Native.O_RDONLY | Native.O_DIRECTORY);
        if (fd < 0) return true;
        nint stream = Native.FdOpenDir(fd);
        if (stream == 0) { Native.Close(fd); return true; }
        try
        {
            Native.Dirent* e;
            while ((e = Native.ReadDir(stream)) != null)
            {
                var n = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(e->Name);
                if (n.SequenceEqual("."u8) || n.SequenceEqual(".."u8) || n.SequenceEqual(DirIdName.AsSpan(0, DirIdName.Length - 1))
                    || n.SequenceEqual(PendingDirIdName.AsSpan(0, PendingDirIdName.Length - 1))) continue;
                return true;
            }
            return false;
        }
        finally { Native.CloseDir(stream); }
    }

    private void WriteSidecar(int dirFd, byte[] nameZ, byte[] content)
    {
        int rc = WriteFile(dirFd, nameZ, content, 0x1A4 /* 0644 */, exclusive: false);
        if (rc < 0) throw new StackException(-rc, "cannot write a sidecar file");
    }

    private static void UnlinkIfPresent(int dirFd, byte[] nameZ)
    {
        fixed (byte* n = nameZ) Native.UnlinkAt(dirFd, n, 0);
    }

    private static int WriteFile(int dirFd, byte[] nameZ, ReadOnlySpan<byte> content, uint mode, bool exclusive)
    {
        int fd;
        fixed (byte* n = nameZ)
            fd = Native.OpenAt(dirFd, n, Native.O_WRONLY | Native.O_CREAT | Native.O_NOFOLLOW | (exclusive ? Native.O_EXCL : Native.O_TRUNC), mode);
        if (fd < 0) return fd;
        try
        {
            int w = BackingIo.WriteFully(fd, content, 0);
            return w < 0 ? w : 0;
        }
        finally { Native.Close(fd); }
    }

    /// <summary>
    /// One of the format's own files, read as CryptStack wrote it or not at all: a FIFO, socket, device or
    /// symlink in its place, or a file larger than <paramref name="max"/>, is damage (never a blocked read,
    /// never a file outside the ciphertext directory). <paramref name="problem"/> says what was found.
    /// </summary>
    private static byte[]? ReadSmallFile(int dirFd, byte[] nameZ, int max, out int errno, out string? problem)
    {
        var r = Volume.SmallRegularFile.Read(dirFd, Encoding.Latin1.GetString(nameZ, 0, nameZ.Length - 1), max);
        errno = r.Errno;
        problem = r.Problem;
        return r.Content;
    }
}
