using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// Requests about open files and directories: open, create, read, write, release, readdir.
internal abstract unsafe partial class RequestWorker
{
    private int Open(ulong node, FuseOpenIn* a)
    {
        var fi = new FuseFileInfo { Flags = (int)a->Flags };
        int rc = Fs.Open(node, ref fi);
        if (rc < 0) return rc;
        if ((a->OpenFlags & FuseRequestFlags.OpenKillSuidGid) != 0) KillSuidGid(node, ref fi);
        Session.AttachBacking(node, ref fi);
        Session.ApplyCachePolicy(ref fi);
        *(FuseOpenOut*)Payload = OpenOut(fi);
        // Interrupted: the kernel never saw the handle, so nobody will release it.
        if (!TryReply(sizeof(FuseOpenOut))) ReleaseUnseen(node, ref fi);
        return 0;
    }

    /// <summary>An open the kernel never saw (its request was interrupted): nobody will release it but us.</summary>
    private void ReleaseUnseen(ulong node, ref FuseFileInfo fi)
    {
        Session.DetachBacking(fi.FileHandle);
        Fs.Release(node, ref fi);
    }

    private int Create(ulong parent, FuseCreateIn* a, ReadOnlySpan<byte> name)
    {
        var fi = new FuseFileInfo { Flags = (int)a->Flags };
        int rc = Fs.Create(parent, name, a->Mode, ref fi, out var e);
        if (rc < 0) return rc;
        if ((a->OpenFlags & FuseRequestFlags.OpenKillSuidGid) != 0) KillSuidGid(e.Ino, ref fi);
        Session.AttachBacking(e.Ino, ref fi);
        Session.ApplyCachePolicy(ref fi);
        var o = Session.Options;
        AttrConversion.ToEntryOut(e, o.EntryTimeout, o.AttrTimeout, out *(FuseEntryOut*)Payload);
        *(FuseOpenOut*)(Payload + sizeof(FuseEntryOut)) = OpenOut(fi);
        if (!TryReply(sizeof(FuseEntryOut) + sizeof(FuseOpenOut)))
        {
            ReleaseUnseen(e.Ino, ref fi);
            Fs.Forget(e.Ino, 1);
        }
        return 0;
    }

    private static FuseOpenOut OpenOut(in FuseFileInfo fi)
    {
        uint flags = 0;
        if (fi.DirectIo) flags |= FOpen.DirectIo;
        if (fi.KeepCache) flags |= FOpen.KeepCache;
        if (fi.NonSeekable) flags |= FOpen.NonSeekable;
        if (fi.CacheReaddir) flags |= FOpen.CacheDir;
        if (fi.BackingId > 0) flags |= FOpen.Passthrough;
        return new FuseOpenOut { Fh = fi.FileHandle, OpenFlags = flags, BackingId = fi.BackingId };
    }

    /// <summary>HANDLE_KILLPRIV_V2 for O_TRUNC opens and writes by callers without CAP_FSETID.</summary>
    private void KillSuidGid(ulong node, ref FuseFileInfo fi)
    {
        fixed (FuseFileInfo* p = &fi)
        {
            if (Fs.GetAttr(node, out var st, new FileInfoRef(p)) < 0) return;
            uint stripped = KillPrivilege.Strip(st.Mode);
            if (stripped == st.Mode) return;
            var mode = new Stat { Mode = stripped & 0xFFF };
            Fs.SetAttr(node, ref mode, SetAttrFields.Mode, new FileInfoRef(p));
        }
    }

    private int Read(ulong node, FuseReadIn* a)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh, Flags = (int)a->Flags, LockOwner = a->LockOwner };
        int size = (int)Math.Min(a->Size, (uint)PayloadCapacity);
        int rc = Fs.Read(node, new Span<byte>(Payload, size), (long)a->Offset, ref fi);
        return rc < 0 ? rc : Reply(rc);
    }

    private int Write(ulong node, FuseWriteIn* a, byte* data, int length)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh, Flags = (int)a->Flags, LockOwner = a->LockOwner, WritePage = (a->WriteFlags & 1) != 0 };
        int size = (int)Math.Min(a->Size, (uint)length);
        int rc = Fs.Write(node, new ReadOnlySpan<byte>(data, size), (long)a->Offset, ref fi);
        if (rc < 0) return rc;
        if ((a->WriteFlags & FuseRequestFlags.WriteKillSuidGid) != 0) KillSuidGid(node, ref fi);
        return ReplyStruct(new FuseWriteOut { Size = (uint)rc });
    }

    private int Release(ulong node, FuseReleaseIn* a)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh, Flags = (int)a->Flags, LockOwner = a->LockOwner };
        Session.DetachBacking(a->Fh);
        return Empty(Fs.Release(node, ref fi));
    }

    private int OpenDir(ulong node, FuseOpenIn* a)
    {
        var fi = new FuseFileInfo { Flags = (int)a->Flags };
        int rc = Fs.OpenDir(node, ref fi);
        if (rc < 0) return rc;
        *(FuseOpenOut*)Payload = OpenOut(fi);
        if (!TryReply(sizeof(FuseOpenOut))) Fs.ReleaseDir(node, ref fi);
        return 0;
    }

    private int ReadDir(ulong node, FuseReadIn* a, bool plus)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh, Flags = (int)a->Flags };
        int size = (int)Math.Min(a->Size, (uint)PayloadCapacity);
        var o = Session.Options;
        var entries = new DirectoryBuffer(Payload, size, o.AttrTimeout, o.EntryTimeout);
        int rc = Fs.ReadDir(node, ref entries, (long)a->Offset, ref fi, plus);
        return rc < 0 ? rc : Reply(entries.Used);
    }
}
