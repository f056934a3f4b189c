using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>
/// The [UnmanagedCallersOnly] entry points of the low-level API. Each finds its mount through
/// fuse_req_userdata (a GCHandle), runs the filesystem method, and sends the reply: every request
/// gets exactly one (forget gets none). Exceptions are logged and answered EIO.
/// </summary>
internal static unsafe class FuseLowLevelCallbacks
{
    /// <summary>A per-thread reply buffer for read, readlink, getxattr and readdir: no allocation per request.</summary>
    [ThreadStatic] private static ReplyBuffer? t_buffer;

    public static void Fill(FuseLowLevelOps* ops)
    {
        ops->Init = (nint)(delegate* unmanaged<nint, FuseConnInfo*, void>)&Init;
        ops->Lookup = (nint)(delegate* unmanaged<nint, ulong, byte*, void>)&Lookup;
        ops->Forget = (nint)(delegate* unmanaged<nint, ulong, ulong, void>)&Forget;
        ops->ForgetMulti = (nint)(delegate* unmanaged<nint, nuint, FuseForgetData*, void>)&ForgetMulti;
        ops->GetAttr = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&GetAttr;
        ops->SetAttr = (nint)(delegate* unmanaged<nint, ulong, Stat*, int, FuseFileInfo*, void>)&SetAttr;
        ops->ReadLink = (nint)(delegate* unmanaged<nint, ulong, void>)&ReadLink;
        ops->MkNod = (nint)(delegate* unmanaged<nint, ulong, byte*, uint, ulong, void>)&MkNod;
        ops->MkDir = (nint)(delegate* unmanaged<nint, ulong, byte*, uint, void>)&MkDir;
        ops->Unlink = (nint)(delegate* unmanaged<nint, ulong, byte*, void>)&Unlink;
        ops->RmDir = (nint)(delegate* unmanaged<nint, ulong, byte*, void>)&RmDir;
        ops->SymLink = (nint)(delegate* unmanaged<nint, byte*, ulong, byte*, void>)&SymLink;
        ops->Rename = (nint)(delegate* unmanaged<nint, ulong, byte*, ulong, byte*, uint, void>)&Rename;
        ops->Link = (nint)(delegate* unmanaged<nint, ulong, ulong, byte*, void>)&Link;
        ops->Open = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&Open;
        ops->Read = (nint)(delegate* unmanaged<nint, ulong, nuint, long, FuseFileInfo*, void>)&Read;
        ops->Write = (nint)(delegate* unmanaged<nint, ulong, byte*, nuint, long, FuseFileInfo*, void>)&Write;
        ops->Flush = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&Flush;
        ops->Release = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&Release;
        ops->FSync = (nint)(delegate* unmanaged<nint, ulong, int, FuseFileInfo*, void>)&FSync;
        ops->OpenDir = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&OpenDir;
        ops->ReadDir = (nint)(delegate* unmanaged<nint, ulong, nuint, long, FuseFileInfo*, void>)&ReadDir;
        ops->ReadDirPlus = (nint)(delegate* unmanaged<nint, ulong, nuint, long, FuseFileInfo*, void>)&ReadDirPlus;
        ops->ReleaseDir = (nint)(delegate* unmanaged<nint, ulong, FuseFileInfo*, void>)&ReleaseDir;
        ops->FSyncDir = (nint)(delegate* unmanaged<nint, ulong, int, FuseFileInfo*, void>)&FSyncDir;
        ops->StatFs = (nint)(delegate* unmanaged<nint, ulong, void>)&StatFs;
        ops->SetXAttr = (nint)(delegate* unmanaged<nint, ulong, byte*, byte*, nuint, int, void>)&SetXAttr;
        ops->GetXAttr = (nint)(delegate* unmanaged<nint, ulong, byte*, nuint, void>)&GetXAttr;
        ops->ListXAttr = (nint)(delegate* unmanaged<nint, ulong, nuint, void>)&ListXAttr;
        ops->RemoveXAttr = (nint)(delegate* unmanaged<nint, ulong, byte*, void>)&RemoveXAttr;
        ops->Create = (nint)(delegate* unmanaged<nint, ulong, byte*, uint, FuseFileInfo*, void>)&Create;
        ops->Fallocate = (nint)(delegate* unmanaged<nint, ulong, int, long, long, FuseFileInfo*, void>)&Fallocate;
        ops->Lseek = (nint)(delegate* unmanaged<nint, ulong, long, int, FuseFileInfo*, void>)&Lseek;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FuseMount Mount(nint req)
    {
        FuseRequest.Current = req;
        return (FuseMount)GCHandle.FromIntPtr(LibFuseLowLevel.RequestUserData(req)).Target!;
    }

    private static ReadOnlySpan<byte> S(byte* s) => MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s);

    private static byte* Buffer(nuint size) => (t_buffer ??= new ReplyBuffer()).AtLeast(size);

    private static void Fail(nint req, string op, Exception e)
    {
        try { FuseMount.CallbackFailed?.Invoke(op, e); } catch { /* logging must not kill the daemon */ }
        LibFuseLowLevel.ReplyErr(req, Errno.EIO);
    }

    private static void Done(nint req) => FuseRequest.Current = 0;

    private static void Err(nint req, long rc) => LibFuseLowLevel.ReplyErr(req, rc < 0 ? (int)-rc : 0);

    private static void Entry(nint req, FuseMount m, int rc, ref FuseEntryParam e)
    {
        if (rc < 0) { Err(req, rc); return; }
        if (e.Ino == 0 && m.Options.NegativeTimeout <= 0) { Err(req, -Errno.ENOENT); return; }
        e.AttrTimeout = m.Options.AttrTimeout;
        e.EntryTimeout = e.Ino == 0 ? m.Options.NegativeTimeout : m.Options.EntryTimeout;
        fixed (FuseEntryParam* p = &e) LibFuseLowLevel.ReplyEntry(req, p);
    }

    [UnmanagedCallersOnly]
    private static void Init(nint userData, FuseConnInfo* conn)
    {
        try { ((FuseMount)GCHandle.FromIntPtr(userData).Target!).Configure(conn); }
        catch (Exception e) { try { FuseMount.CallbackFailed?.Invoke("init", e); } catch { } }
    }

    [UnmanagedCallersOnly]
    private static void Lookup(nint req, ulong parent, byte* name)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.Lookup(parent, S(name), out var e);
            Entry(req, m, rc, ref e);
        }
        catch (Exception ex) { Fail(req, "lookup", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Forget(nint req, ulong node, ulong lookups)
    {
        try { Mount(req).FileSystem.Forget(node, lookups); }
        catch (Exception ex) { try { FuseMount.CallbackFailed?.Invoke("forget", ex); } catch { } }
        finally { Done(req); }
        LibFuseLowLevel.ReplyNone(req);
    }

    [UnmanagedCallersOnly]
    private static void ForgetMulti(nint req, nuint count, FuseForgetData* forgets)
    {
        try
        {
            var fs = Mount(req).FileSystem;
            for (nuint i = 0; i < count; i++) fs.Forget(forgets[i].Ino, forgets[i].NLookup);
        }
        catch (Exception ex) { try { FuseMount.CallbackFailed?.Invoke("forget", ex); } catch { } }
        finally { Done(req); }
        LibFuseLowLevel.ReplyNone(req);
    }

    [UnmanagedCallersOnly]
    private static void GetAttr(nint req, ulong node, FuseFileInfo* fi)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.GetAttr(node, out var st, new FileInfoRef(fi));
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyAttr(req, &st, m.Options.AttrTimeout);
        }
        catch (Exception ex) { Fail(req, "getattr", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void SetAttr(nint req, ulong node, Stat* attr, int toSet, FuseFileInfo* fi)
    {
        try
        {
            var m = Mount(req);
            var st = *attr;
            int rc = m.FileSystem.SetAttr(node, ref st, toSet, new FileInfoRef(fi));
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyAttr(req, &st, m.Options.AttrTimeout);
        }
        catch (Exception ex) { Fail(req, "setattr", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void ReadLink(nint req, ulong node)
    {
        try
        {
            const int Max = 4096;
            byte* buf = Buffer(Max + 1);
            int rc = Mount(req).FileSystem.ReadLink(node, new Span<byte>(buf, Max));
            if (rc < 0) { Err(req, rc); return; }
            buf[rc] = 0;
            LibFuseLowLevel.ReplyReadLink(req, buf);
        }
        catch (Exception ex) { Fail(req, "readlink", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void MkNod(nint req, ulong parent, byte* name, uint mode, ulong rdev)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.MkNod(parent, S(name), mode, rdev, out var e);
            Entry(req, m, rc, ref e);
        }
        catch (Exception ex) { Fail(req, "mknod", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void MkDir(nint req, ulong parent, byte* name, uint mode)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.MkDir(parent, S(name), mode, out var e);
            Entry(req, m, rc, ref e);
        }
        catch (Exception ex) { Fail(req, "mkdir", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Unlink(nint req, ulong parent, byte* name)
    {
        try { Err(req, Mount(req).FileSystem.Unlink(parent, S(name))); }
        catch (Exception ex) { Fail(req, "unlink", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void RmDir(nint req, ulong parent, byte* name)
    {
        try { Err(req, Mount(req).FileSystem.RmDir(parent, S(name))); }
        catch (Exception ex) { Fail(req, "rmdir", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void SymLink(nint req, byte* target, ulong parent, byte* name)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.SymLink(S(target), parent, S(name), out var e);
            Entry(req, m, rc, ref e);
        }
        catch (Exception ex) { Fail(req, "symlink", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Rename(nint req, ulong parent, byte* name, ulong newParent, byte* newName, uint flags)
    {
        try { Err(req, Mount(req).FileSystem.Rename(parent, S(name), newParent, S(newName), flags)); }
        catch (Exception ex) { Fail(req, "rename", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Link(nint req, ulong node, ulong newParent, byte* newName)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.Link(node, newParent, S(newName), out var e);
            Entry(req, m, rc, ref e);
        }
        catch (Exception ex) { Fail(req, "link", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Open(nint req, ulong node, FuseFileInfo* fi)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.Open(node, ref *fi);
            if (rc < 0) { Err(req, rc); return; }
            m.ApplyCachePolicy(fi);
            if (LibFuseLowLevel.ReplyOpen(req, fi) != 0) m.FileSystem.Release(node, ref *fi); // interrupted: the kernel never saw the handle
        }
        catch (Exception ex) { Fail(req, "open", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Create(nint req, ulong parent, byte* name, uint mode, FuseFileInfo* fi)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.Create(parent, S(name), mode, ref *fi, out var e);
            if (rc < 0) { Err(req, rc); return; }
            m.ApplyCachePolicy(fi);
            e.AttrTimeout = m.Options.AttrTimeout;
            e.EntryTimeout = m.Options.EntryTimeout;
            if (LibFuseLowLevel.ReplyCreate(req, &e, fi) != 0)
            {
                m.FileSystem.Release(e.Ino, ref *fi);
                m.FileSystem.Forget(e.Ino, 1);
            }
        }
        catch (Exception ex) { Fail(req, "create", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Read(nint req, ulong node, nuint size, long offset, FuseFileInfo* fi)
    {
        try
        {
            byte* buf = Buffer(size);
            int rc = Mount(req).FileSystem.Read(node, new Span<byte>(buf, (int)size), offset, ref *fi);
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyBuf(req, buf, (nuint)rc);
        }
        catch (Exception ex) { Fail(req, "read", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Write(nint req, ulong node, byte* buf, nuint size, long offset, FuseFileInfo* fi)
    {
        try
        {
            int rc = Mount(req).FileSystem.Write(node, new ReadOnlySpan<byte>(buf, (int)size), offset, ref *fi);
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyWrite(req, (nuint)rc);
        }
        catch (Exception ex) { Fail(req, "write", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Flush(nint req, ulong node, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.Flush(node, ref *fi)); }
        catch (Exception ex) { Fail(req, "flush", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Release(nint req, ulong node, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.Release(node, ref *fi)); }
        catch (Exception ex) { Fail(req, "release", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void FSync(nint req, ulong node, int dataOnly, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.FSync(node, dataOnly != 0, ref *fi)); }
        catch (Exception ex) { Fail(req, "fsync", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void OpenDir(nint req, ulong node, FuseFileInfo* fi)
    {
        try
        {
            var m = Mount(req);
            int rc = m.FileSystem.OpenDir(node, ref *fi);
            if (rc < 0) { Err(req, rc); return; }
            if (LibFuseLowLevel.ReplyOpen(req, fi) != 0) m.FileSystem.ReleaseDir(node, ref *fi);
        }
        catch (Exception ex) { Fail(req, "opendir", ex); }
        finally { Done(req); }
    }

    private static void ReadDirCore(nint req, ulong node, nuint size, long offset, FuseFileInfo* fi, bool plus)
    {
        var m = Mount(req);
        byte* buf = Buffer(size);
        var entries = new DirectoryBuffer(req, buf, (int)size, m.Options.AttrTimeout, m.Options.EntryTimeout);
        int rc = m.FileSystem.ReadDir(node, ref entries, offset, ref *fi, plus);
        if (rc < 0) Err(req, rc);
        else LibFuseLowLevel.ReplyBuf(req, buf, (nuint)entries.Used);
    }

    [UnmanagedCallersOnly]
    private static void ReadDir(nint req, ulong node, nuint size, long offset, FuseFileInfo* fi)
    {
        try { ReadDirCore(req, node, size, offset, fi, plus: false); }
        catch (Exception ex) { Fail(req, "readdir", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void ReadDirPlus(nint req, ulong node, nuint size, long offset, FuseFileInfo* fi)
    {
        try { ReadDirCore(req, node, size, offset, fi, plus: true); }
        catch (Exception ex) { Fail(req, "readdirplus", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void ReleaseDir(nint req, ulong node, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.ReleaseDir(node, ref *fi)); }
        catch (Exception ex) { Fail(req, "releasedir", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void FSyncDir(nint req, ulong node, int dataOnly, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.FSyncDir(node, dataOnly != 0, ref *fi)); }
        catch (Exception ex) { Fail(req, "fsyncdir", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void StatFs(nint req, ulong node)
    {
        try
        {
            StatVfs st = default;
            int rc = Mount(req).FileSystem.StatFs(node, ref st);
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyStatFs(req, &st);
        }
        catch (Exception ex) { Fail(req, "statfs", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void SetXAttr(nint req, ulong node, byte* name, byte* value, nuint size, int flags)
    {
        try { Err(req, Mount(req).FileSystem.SetXAttr(node, S(name), new ReadOnlySpan<byte>(value, (int)size), flags)); }
        catch (Exception ex) { Fail(req, "setxattr", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void GetXAttr(nint req, ulong node, byte* name, nuint size)
    {
        try
        {
            byte* buf = size == 0 ? null : Buffer(size);
            int rc = Mount(req).FileSystem.GetXAttr(node, S(name), new Span<byte>(buf, (int)size));
            XattrReply(req, rc, buf, size);
        }
        catch (Exception ex) { Fail(req, "getxattr", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void ListXAttr(nint req, ulong node, nuint size)
    {
        try
        {
            byte* buf = size == 0 ? null : Buffer(size);
            int rc = Mount(req).FileSystem.ListXAttr(node, new Span<byte>(buf, (int)size));
            XattrReply(req, rc, buf, size);
        }
        catch (Exception ex) { Fail(req, "listxattr", ex); }
        finally { Done(req); }
    }

    private static void XattrReply(nint req, int rc, byte* buf, nuint size)
    {
        if (rc < 0) Err(req, rc);
        else if (size == 0) LibFuseLowLevel.ReplyXattr(req, (nuint)rc);
        else if ((nuint)rc > size) Err(req, -Errno.ERANGE);
        else LibFuseLowLevel.ReplyBuf(req, buf, (nuint)rc);
    }

    [UnmanagedCallersOnly]
    private static void RemoveXAttr(nint req, ulong node, byte* name)
    {
        try { Err(req, Mount(req).FileSystem.RemoveXAttr(node, S(name))); }
        catch (Exception ex) { Fail(req, "removexattr", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Fallocate(nint req, ulong node, int mode, long offset, long length, FuseFileInfo* fi)
    {
        try { Err(req, Mount(req).FileSystem.FAllocate(node, mode, offset, length, ref *fi)); }
        catch (Exception ex) { Fail(req, "fallocate", ex); }
        finally { Done(req); }
    }

    [UnmanagedCallersOnly]
    private static void Lseek(nint req, ulong node, long offset, int whence, FuseFileInfo* fi)
    {
        try
        {
            long rc = Mount(req).FileSystem.LSeek(node, offset, whence, ref *fi);
            if (rc < 0) Err(req, rc);
            else LibFuseLowLevel.ReplyLseek(req, rc);
        }
        catch (Exception ex) { Fail(req, "lseek", ex); }
        finally { Done(req); }
    }
}
