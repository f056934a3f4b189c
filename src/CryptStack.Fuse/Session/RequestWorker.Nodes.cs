using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// Requests about names and nodes: lookup, forget, attributes, creating and removing entries.
internal abstract unsafe partial class RequestWorker
{
    private int Handle(FuseOpcode opcode, FuseInHeader* h, byte* op, byte* payload, int length)
    {
        byte* end = payload + length;
        ulong node = h->Nodeid;
        switch (opcode)
        {
            case FuseOpcode.Init: return ReplyStruct(Session.Negotiate((FuseInitIn*)op));
            case FuseOpcode.Destroy: return Reply(0);
            case FuseOpcode.Interrupt: Session.Interrupt(((FuseInterruptIn*)op)->Unique); return NoReply;
            case FuseOpcode.Forget: Fs.Forget(node, ((FuseForgetIn*)op)->Nlookup); return NoReply;
            case FuseOpcode.BatchForget: return BatchForget((FuseBatchForgetIn*)op, payload, length);
            case FuseOpcode.Lookup:
            {
                int rc = Fs.Lookup(node, Name(payload, end), out var e);
                return ReplyEntry(rc, ref e);
            }
            case FuseOpcode.GetAttr: return GetAttr(node, (FuseGetattrIn*)op);
            case FuseOpcode.SetAttr: return SetAttr(node, (FuseSetattrIn*)op);
            case FuseOpcode.ReadLink:
            {
                int cap = Math.Min(PayloadCapacity, 4096);
                int rc = Fs.ReadLink(node, new Span<byte>(Payload, cap));
                return rc < 0 ? rc : Reply(rc);
            }
            case FuseOpcode.MkNod:
            {
                var a = (FuseMknodIn*)op;
                int rc = Fs.MkNod(node, Name(payload, end), a->Mode, a->Rdev, out var e);
                return ReplyEntry(rc, ref e);
            }
            case FuseOpcode.MkDir:
            {
                var a = (FuseMkdirIn*)op;
                int rc = Fs.MkDir(node, Name(payload, end), a->Mode, out var e);
                return ReplyEntry(rc, ref e);
            }
            case FuseOpcode.SymLink:
            {
                // The new entry's name comes first, then the link's target.
                var name = Name(payload, end);
                var target = Name(payload + name.Length + 1, end);
                int rc = Fs.SymLink(target, node, name, out var e);
                return ReplyEntry(rc, ref e);
            }
            case FuseOpcode.Link:
            {
                int rc = Fs.Link(((FuseLinkIn*)op)->Oldnodeid, node, Name(payload, end), out var e);
                return ReplyEntry(rc, ref e);
            }
            case FuseOpcode.Unlink: return Empty(Fs.Unlink(node, Name(payload, end)));
            case FuseOpcode.RmDir: return Empty(Fs.RmDir(node, Name(payload, end)));
            case FuseOpcode.Rename:
            case FuseOpcode.Rename2:
            {
                ulong newDir = opcode == FuseOpcode.Rename ? ((FuseRenameIn*)op)->Newdir : ((FuseRename2In*)op)->Newdir;
                uint flags = opcode == FuseOpcode.Rename ? 0 : ((FuseRename2In*)op)->Flags;
                var oldName = Name(payload, end);
                var newName = Name(payload + oldName.Length + 1, end);
                return Empty(Fs.Rename(node, oldName, newDir, newName, flags));
            }
            case FuseOpcode.StatFs:
            {
                StatVfs st = default;
                int rc = Fs.StatFs(node, ref st);
                if (rc < 0) return rc;
                AttrConversion.ToKstatfs(st, out var k);
                return ReplyStruct(new FuseStatfsOut { St = k });
            }
            case FuseOpcode.Open: return Open(node, (FuseOpenIn*)op);
            case FuseOpcode.Create: return Create(node, (FuseCreateIn*)op, Name(payload, end));
            case FuseOpcode.Read: return Read(node, (FuseReadIn*)op);
            case FuseOpcode.Write: return Write(node, (FuseWriteIn*)op, payload, length);
            case FuseOpcode.Flush:
            {
                var a = (FuseFlushIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh, LockOwner = a->LockOwner };
                return Empty(Fs.Flush(node, ref fi));
            }
            case FuseOpcode.Release: return Release(node, (FuseReleaseIn*)op);
            case FuseOpcode.FSync:
            {
                var a = (FuseFsyncIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh };
                return Empty(Fs.FSync(node, (a->FsyncFlags & FuseRequestFlags.FSyncDataSync) != 0, ref fi));
            }
            case FuseOpcode.FAllocate:
            {
                var a = (FuseFallocateIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh };
                return Empty(Fs.FAllocate(node, (int)a->Mode, (long)a->Offset, (long)a->Length, ref fi));
            }
            case FuseOpcode.LSeek:
            {
                var a = (FuseLseekIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh };
                long rc = Fs.LSeek(node, (long)a->Offset, (int)a->Whence, ref fi);
                return rc < 0 ? (int)rc : ReplyStruct(new FuseLseekOut { Offset = (ulong)rc });
            }
            case FuseOpcode.OpenDir: return OpenDir(node, (FuseOpenIn*)op);
            case FuseOpcode.ReadDir: return ReadDir(node, (FuseReadIn*)op, plus: false);
            case FuseOpcode.ReadDirPlus: return ReadDir(node, (FuseReadIn*)op, plus: true);
            case FuseOpcode.ReleaseDir:
            {
                var a = (FuseReleaseIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh, Flags = (int)a->Flags };
                return Empty(Fs.ReleaseDir(node, ref fi));
            }
            case FuseOpcode.FSyncDir:
            {
                var a = (FuseFsyncIn*)op;
                var fi = new FuseFileInfo { FileHandle = a->Fh };
                return Empty(Fs.FSyncDir(node, (a->FsyncFlags & FuseRequestFlags.FSyncDataSync) != 0, ref fi));
            }
            case FuseOpcode.SetXAttr:
            {
                var a = (FuseSetxattrIn*)op;
                var name = Name(payload, end);
                byte* value = payload + name.Length + 1;
                int size = (int)Math.Min(a->Size, (uint)Math.Max(0, end - value));
                return Empty(Fs.SetXAttr(node, name, new ReadOnlySpan<byte>(value, size), (int)a->Flags));
            }
            case FuseOpcode.GetXAttr:
            {
                uint size = ((FuseGetxattrIn*)op)->Size;
                // On io_uring the value is built where the name arrived: keep the name on the stack
                // (XATTR_NAME_MAX is 255).
                var arrived = Name(payload, end);
                if (arrived.Length > 255) return -Errno.ERANGE;
                Span<byte> name = stackalloc byte[arrived.Length];
                arrived.CopyTo(name);
                int cap = (int)Math.Min(size, (uint)PayloadCapacity);
                int rc = Fs.GetXAttr(node, name, new Span<byte>(size == 0 ? null : Payload, size == 0 ? 0 : cap));
                return XattrReply(rc, size);
            }
            case FuseOpcode.ListXAttr:
            {
                uint size = ((FuseGetxattrIn*)op)->Size;
                int cap = (int)Math.Min(size, (uint)PayloadCapacity);
                int rc = Fs.ListXAttr(node, new Span<byte>(size == 0 ? null : Payload, size == 0 ? 0 : cap));
                return XattrReply(rc, size);
            }
            case FuseOpcode.RemoveXAttr: return Empty(Fs.RemoveXAttr(node, Name(payload, end)));
            default: return -Errno.ENOSYS;
        }
    }

    private int Empty(int rc) => rc < 0 ? rc : Reply(0);

    private int XattrReply(int rc, uint size)
    {
        if (rc < 0) return rc;
        if (size == 0) return ReplyStruct(new FuseGetxattrOut { Size = (uint)rc });
        if ((uint)rc > size) return -Errno.ERANGE;
        return Reply(rc);
    }

    private int BatchForget(FuseBatchForgetIn* a, byte* payload, int length)
    {
        var items = (FuseForgetOne*)payload;
        uint count = (uint)Math.Min(a->Count, (uint)(length / sizeof(FuseForgetOne)));
        for (uint i = 0; i < count; i++) Fs.Forget(items[i].Nodeid, items[i].Nlookup);
        return NoReply;
    }

    /// <summary>An entry reply (or a cacheable negative one); the lookup is given back if the kernel no longer wants the reply.</summary>
    private int ReplyEntry(int rc, ref FuseEntryParam e)
    {
        if (rc < 0) return rc;
        var o = Session.Options;
        if (e.Ino == 0 && o.NegativeTimeout <= 0) return -Errno.ENOENT;
        AttrConversion.ToEntryOut(e, e.Ino == 0 ? o.NegativeTimeout : o.EntryTimeout, o.AttrTimeout, out *(FuseEntryOut*)Payload);
        if (!TryReply(sizeof(FuseEntryOut)) && e.Ino != 0) Fs.Forget(e.Ino, 1);
        return 0;
    }

    private int ReplyAttr(in Stat st)
    {
        var a = (FuseAttrOut*)Payload;
        *a = default;
        AttrConversion.Timeout(Session.Options.AttrTimeout, out a->AttrValid, out a->AttrValidNsec);
        AttrConversion.ToFuseAttr(st, out a->Attr);
        return Reply(sizeof(FuseAttrOut));
    }

    private int GetAttr(ulong node, FuseGetattrIn* a)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh };
        bool withFile = (a->GetattrFlags & FuseRequestFlags.GetAttrFh) != 0;
        int rc = Fs.GetAttr(node, out var st, new FileInfoRef(withFile ? &fi : null));
        return rc < 0 ? rc : ReplyAttr(st);
    }

    private const int ToSetMask = SetAttrFields.Mode | SetAttrFields.Uid | SetAttrFields.Gid | SetAttrFields.Size |
        SetAttrFields.ATime | SetAttrFields.MTime | SetAttrFields.ATimeNow | SetAttrFields.MTimeNow;

    private int SetAttr(ulong node, FuseSetattrIn* a)
    {
        var fi = new FuseFileInfo { FileHandle = a->Fh, LockOwner = a->LockOwner };
        var fiRef = new FileInfoRef((a->Valid & FAttr.Fh) != 0 ? &fi : null);
        var st = AttrConversion.FromSetattr(*a);
        int toSet = (int)a->Valid & ToSetMask;
        bool kill = (a->Valid & FAttr.KillSuidGid) != 0;
        // HANDLE_KILLPRIV_V2: a truncate by a caller without CAP_FSETID, or a chown, must drop
        // setuid (and setgid when group-executable), as the kernel would have done itself.
        if (kill && (toSet & SetAttrFields.Mode) != 0) st.Mode = KillPrivilege.Strip(st.Mode);
        int rc = Fs.SetAttr(node, ref st, toSet, fiRef);
        if (rc < 0) return rc;
        if (kill && (toSet & SetAttrFields.Mode) == 0 && KillPrivilege.Strip(st.Mode) != st.Mode)
        {
            var mode = new Stat { Mode = KillPrivilege.Strip(st.Mode) & 0xFFF };
            rc = Fs.SetAttr(node, ref mode, SetAttrFields.Mode, fiRef);
            if (rc < 0) return rc;
            st = mode;
        }
        return ReplyAttr(st);
    }
}

/// <summary>What HANDLE_KILLPRIV_V2 asks of the daemon (Documentation: fuse.h, "kill suid/sgid").</summary>
internal static class KillPrivilege
{
    private const uint SetUid = 0x800, SetGid = 0x400, GroupExec = 0x8, TypeMask = 0xF000, Directory = 0x4000;

    /// <summary>The mode without setuid, and without setgid when the group may execute (setgid without it marks mandatory locking).</summary>
    public static uint Strip(uint mode)
    {
        if ((mode & TypeMask) == Directory) return mode;
        mode &= ~SetUid;
        if ((mode & GroupExec) != 0) mode &= ~SetGid;
        return mode;
    }
}
