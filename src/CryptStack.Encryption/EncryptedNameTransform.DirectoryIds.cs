using CryptStack.Crypto.Names;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

/// <summary>Format version 2: keeping each directory's cs.dirid bound to its place across renames (docs/format.md 5.1).</summary>
internal sealed unsafe partial class EncryptedNameTransform
{
    public void PrepareRename(object? oldDirectory, int oldDirFd, in LowerName oldName, object? newDirectory, int newDirFd, in LowerName newName, uint flags)
    {
        if (dirIds == null) return;
        var oldDir = (DirectoryState)oldDirectory!;
        var newDir = (DirectoryState)newDirectory!;
        // The entry at the old name goes to the new place; with RENAME_EXCHANGE the other one comes back.
        WritePendingDirectoryId(oldDirFd, oldName.Name, newDir.Id, newName.Name);
        if ((flags & Native.RENAME_EXCHANGE) != 0) WritePendingDirectoryId(newDirFd, newName.Name, oldDir.Id, oldName.Name);
    }

    public void RenameFailed(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags)
    {
        if (dirIds == null) return;
        RemovePendingDirectoryId(oldDirFd, oldName.Name);
        if ((flags & Native.RENAME_EXCHANGE) != 0) RemovePendingDirectoryId(newDirFd, newName.Name);
    }

    private void FinishDirectoryMoves(int oldDirFd, in LowerName oldName, int newDirFd, in LowerName newName, uint flags)
    {
        if (dirIds == null) return;
        CommitPendingDirectoryId(newDirFd, newName.Name);
        if ((flags & Native.RENAME_EXCHANGE) != 0) CommitPendingDirectoryId(oldDirFd, oldName.Name);
    }

    /// <summary>
    /// If the entry <paramref name="entryName"/> is a directory, writes cs.dirid.pending into it: its id sealed for
    /// the place it is about to move to. Nothing else in the directory changes, whatever it holds.
    /// </summary>
    private void WritePendingDirectoryId(int parentFd, byte[] entryName, byte[] newParentId, byte[] newEntryName)
    {
        int dirFd = OpenDirectory(parentFd, entryName);
        if (dirFd < 0) return;
        try
        {
            byte[]? current = ReadSmallFile(dirFd, DirIdName, DirectoryIdCodec.SealedSize + 1, out _, out _);
            if (current is not { Length: DirectoryIdCodec.SealedSize }) return;
            // The id as stored; whether it verifies where it is now was checked when the directory was loaded.
            byte[] sealedForNewPlace = dirIds!.Seal(current.AsSpan(0, DirectoryId.Size), newParentId, newEntryName);
            fixed (byte* p = PendingDirIdName) Native.UnlinkAt(dirFd, p, 0);
            int rc = WriteFile(dirFd, PendingDirIdName, sealedForNewPlace, 0x124, exclusive: true);
            if (rc < 0) throw new StackException(-rc, "cannot write cs.dirid.pending for a directory rename");
            Native.FSync(dirFd);
        }
        finally { Native.Close(dirFd); }
    }

    private static void RemovePendingDirectoryId(int parentFd, byte[] entryName)
    {
        int dirFd = OpenDirectory(parentFd, entryName);
        if (dirFd < 0) return;
        fixed (byte* p = PendingDirIdName) Native.UnlinkAt(dirFd, p, 0);
        Native.Close(dirFd);
    }

    /// <summary>After the rename: cs.dirid.pending replaces cs.dirid (one rename(2), atomic).</summary>
    private void CommitPendingDirectoryId(int parentFd, byte[] entryName)
    {
        int dirFd = OpenDirectory(parentFd, entryName);
        if (dirFd < 0) return;
        try
        {
            int rc;
            fixed (byte* p = PendingDirIdName)
            fixed (byte* d = DirIdName)
                rc = Native.RenameAt2(dirFd, p, dirFd, d, 0);
            if (rc < 0 && rc != -Errno.ENOENT)
                log.LogError("{Entry}: cannot move cs.dirid.pending over cs.dirid after a rename (errno {Errno}); the next mount finishes it",
                    BackingPaths.Of(parentFd, System.Text.Encoding.Latin1.GetString(entryName)), -rc);
        }
        finally { Native.Close(dirFd); }
    }

    /// <summary>
    /// cs.dirid does not verify here: a rename that crashed between moving the directory and committing its pending
    /// id leaves cs.dirid.pending sealed for this place. If so, commit it now and use it; else null.
    /// </summary>
    private byte[]? AdoptPendingDirectoryId(int dirFd, ReadOnlySpan<byte> parentId, ReadOnlySpan<byte> lowerName, string upperPath)
    {
        byte[]? pending = ReadSmallFile(dirFd, PendingDirIdName, DirectoryIdCodec.SealedSize + 1, out _, out _);
        if (pending == null) return null;
        byte[] id;
        try { id = dirIds!.Open(pending, parentId, lowerName, upperPath); }
        catch (DirectoryIdException) { return null; }
        fixed (byte* p = PendingDirIdName)
        fixed (byte* d = DirIdName)
            Native.RenameAt2(dirFd, p, dirFd, d, 0);
        log.LogWarning("{Directory}: finished a directory rename that was interrupted (cs.dirid.pending committed)", upperPath);
        return id;
    }

    private static int OpenDirectory(int parentFd, byte[] entryName)
    {
        fixed (byte* n = Z(System.Text.Encoding.Latin1.GetString(entryName)))
            return Native.OpenAt(parentFd, n, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW);
    }
}
