using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>
/// The [UnmanagedCallersOnly] entry points libfuse calls. Each finds the filesystem through
/// fuse_context.private_data (a GCHandle), so several mounts can share one process, and turns
/// any exception into -EIO: an exception escaping into native code would kill the daemon.
/// </summary>
internal static unsafe class FuseCallbacks
{
    public static void Fill(FuseOperations* ops)
    {
        ops->GetAttr = (nint)(delegate* unmanaged<byte*, Stat*, FuseFileInfo*, int>)&GetAttr;
        ops->ReadLink = (nint)(delegate* unmanaged<byte*, byte*, nuint, int>)&ReadLink;
        ops->MkNod = (nint)(delegate* unmanaged<byte*, uint, ulong, int>)&MkNod;
        ops->MkDir = (nint)(delegate* unmanaged<byte*, uint, int>)&MkDir;
        ops->Unlink = (nint)(delegate* unmanaged<byte*, int>)&Unlink;
        ops->RmDir = (nint)(delegate* unmanaged<byte*, int>)&RmDir;
        ops->SymLink = (nint)(delegate* unmanaged<byte*, byte*, int>)&SymLink;
        ops->Rename = (nint)(delegate* unmanaged<byte*, byte*, uint, int>)&Rename;
        ops->Link = (nint)(delegate* unmanaged<byte*, byte*, int>)&Link;
        ops->Chmod = (nint)(delegate* unmanaged<byte*, uint, FuseFileInfo*, int>)&Chmod;
        ops->Chown = (nint)(delegate* unmanaged<byte*, uint, uint, FuseFileInfo*, int>)&Chown;
        ops->Truncate = (nint)(delegate* unmanaged<byte*, long, FuseFileInfo*, int>)&Truncate;
        ops->Open = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Open;
        ops->Read = (nint)(delegate* unmanaged<byte*, byte*, nuint, long, FuseFileInfo*, int>)&Read;
        ops->Write = (nint)(delegate* unmanaged<byte*, byte*, nuint, long, FuseFileInfo*, int>)&Write;
        ops->StatFs = (nint)(delegate* unmanaged<byte*, StatVfs*, int>)&StatFs;
        ops->Flush = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Flush;
        ops->Release = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Release;
        ops->FSync = (nint)(delegate* unmanaged<byte*, int, FuseFileInfo*, int>)&FSync;
        ops->SetXAttr = (nint)(delegate* unmanaged<byte*, byte*, byte*, nuint, int, int>)&SetXAttr;
        ops->GetXAttr = (nint)(delegate* unmanaged<byte*, byte*, byte*, nuint, int>)&GetXAttr;
        ops->ListXAttr = (nint)(delegate* unmanaged<byte*, byte*, nuint, int>)&ListXAttr;
        ops->RemoveXAttr = (nint)(delegate* unmanaged<byte*, byte*, int>)&RemoveXAttr;
        ops->OpenDir = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&OpenDir;
        ops->ReadDir = (nint)(delegate* unmanaged<byte*, nint, nint, long, FuseFileInfo*, int, int>)&ReadDir;
        ops->ReleaseDir = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&ReleaseDir;
        ops->FSyncDir = (nint)(delegate* unmanaged<byte*, int, FuseFileInfo*, int>)&FSyncDir;
        ops->Init = (nint)(delegate* unmanaged<FuseConnInfo*, FuseConfig*, nint>)&Init;
        ops->Access = (nint)(delegate* unmanaged<byte*, int, int>)&Access;
        ops->Create = (nint)(delegate* unmanaged<byte*, uint, FuseFileInfo*, int>)&Create;
        ops->Utimens = (nint)(delegate* unmanaged<byte*, TimeSpec*, FuseFileInfo*, int>)&Utimens;
        ops->Fallocate = (nint)(delegate* unmanaged<byte*, int, long, long, FuseFileInfo*, int>)&Fallocate;
        ops->Lseek = (nint)(delegate* unmanaged<byte*, long, int, FuseFileInfo*, long>)&Lseek;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FuseMount Mount()
    {
        var handle = GCHandle.FromIntPtr(LibFuse.GetContext()->PrivateData);
        return (FuseMount)handle.Target!;
    }

    // nullpath_ok: libfuse passes NULL for operations on open files whose name is gone.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> P(byte* path) =>
        path == null ? ReadOnlySpan<byte>.Empty : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(path);

    private static int Fail(string op, Exception e)
    {
        try { FuseMount.CallbackFailed?.Invoke(op, e); } catch { /* logging must not kill the daemon */ }
        return -Errno.EIO;
    }

    [UnmanagedCallersOnly]
    private static nint Init(FuseConnInfo* conn, FuseConfig* cfg)
    {
        var ctx = LibFuse.GetContext();
        try { ((FuseMount)GCHandle.FromIntPtr(ctx->PrivateData).Target!).Configure(conn, cfg); }
        catch (Exception e) { Fail("init", e); }
        return ctx->PrivateData;
    }

    [UnmanagedCallersOnly]
    private static int GetAttr(byte* path, Stat* st, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.GetAttr(P(path), ref *st, new FileInfoRef(fi)); }
        catch (Exception e) { return Fail("getattr", e); }
    }

    [UnmanagedCallersOnly]
    private static int ReadLink(byte* path, byte* buf, nuint size)
    {
        try { return Mount().FileSystem.ReadLink(P(path), new Span<byte>(buf, (int)size)); }
        catch (Exception e) { return Fail("readlink", e); }
    }

    [UnmanagedCallersOnly]
    private static int MkNod(byte* path, uint mode, ulong rdev)
    {
        try { return Mount().FileSystem.MkNod(P(path), mode, rdev); }
        catch (Exception e) { return Fail("mknod", e); }
    }

    [UnmanagedCallersOnly]
    private static int MkDir(byte* path, uint mode)
    {
        try { return Mount().FileSystem.MkDir(P(path), mode); }
        catch (Exception e) { return Fail("mkdir", e); }
    }

    [UnmanagedCallersOnly]
    private static int Unlink(byte* path)
    {
        try { return Mount().FileSystem.Unlink(P(path)); }
        catch (Exception e) { return Fail("unlink", e); }
    }

    [UnmanagedCallersOnly]
    private static int RmDir(byte* path)
    {
        try { return Mount().FileSystem.RmDir(P(path)); }
        catch (Exception e) { return Fail("rmdir", e); }
    }

    [UnmanagedCallersOnly]
    private static int SymLink(byte* target, byte* path)
    {
        try { return Mount().FileSystem.SymLink(P(target), P(path)); }
        catch (Exception e) { return Fail("symlink", e); }
    }

    [UnmanagedCallersOnly]
    private static int Rename(byte* path, byte* newPath, uint flags)
    {
        try { return Mount().FileSystem.Rename(P(path), P(newPath), flags); }
        catch (Exception e) { return Fail("rename", e); }
    }

    [UnmanagedCallersOnly]
    private static int Link(byte* path, byte* newPath)
    {
        try { return Mount().FileSystem.Link(P(path), P(newPath)); }
        catch (Exception e) { return Fail("link", e); }
    }

    [UnmanagedCallersOnly]
    private static int Chmod(byte* path, uint mode, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Chmod(P(path), mode, new FileInfoRef(fi)); }
        catch (Exception e) { return Fail("chmod", e); }
    }

    [UnmanagedCallersOnly]
    private static int Chown(byte* path, uint uid, uint gid, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Chown(P(path), uid, gid, new FileInfoRef(fi)); }
        catch (Exception e) { return Fail("chown", e); }
    }

    [UnmanagedCallersOnly]
    private static int Truncate(byte* path, long length, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Truncate(P(path), length, new FileInfoRef(fi)); }
        catch (Exception e) { return Fail("truncate", e); }
    }

    [UnmanagedCallersOnly]
    private static int Open(byte* path, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Open(P(path), ref *fi); }
        catch (Exception e) { return Fail("open", e); }
    }

    [UnmanagedCallersOnly]
    private static int Create(byte* path, uint mode, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Create(P(path), mode, ref *fi); }
        catch (Exception e) { return Fail("create", e); }
    }

    [UnmanagedCallersOnly]
    private static int Read(byte* path, byte* buf, nuint size, long offset, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Read(P(path), new Span<byte>(buf, (int)size), offset, ref *fi); }
        catch (Exception e) { return Fail("read", e); }
    }

    [UnmanagedCallersOnly]
    private static int Write(byte* path, byte* buf, nuint size, long offset, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Write(P(path), new ReadOnlySpan<byte>(buf, (int)size), offset, ref *fi); }
        catch (Exception e) { return Fail("write", e); }
    }

    [UnmanagedCallersOnly]
    private static int StatFs(byte* path, StatVfs* st)
    {
        try { return Mount().FileSystem.StatFs(P(path), ref *st); }
        catch (Exception e) { return Fail("statfs", e); }
    }

    [UnmanagedCallersOnly]
    private static int Flush(byte* path, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Flush(P(path), ref *fi); }
        catch (Exception e) { return Fail("flush", e); }
    }

    [UnmanagedCallersOnly]
    private static int Release(byte* path, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.Release(P(path), ref *fi); }
        catch (Exception e) { return Fail("release", e); }
    }

    [UnmanagedCallersOnly]
    private static int FSync(byte* path, int datasync, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.FSync(P(path), datasync != 0, ref *fi); }
        catch (Exception e) { return Fail("fsync", e); }
    }

    [UnmanagedCallersOnly]
    private static int SetXAttr(byte* path, byte* name, byte* value, nuint size, int flags)
    {
        try { return Mount().FileSystem.SetXAttr(P(path), P(name), new ReadOnlySpan<byte>(value, (int)size), flags); }
        catch (Exception e) { return Fail("setxattr", e); }
    }

    [UnmanagedCallersOnly]
    private static int GetXAttr(byte* path, byte* name, byte* value, nuint size)
    {
        try { return Mount().FileSystem.GetXAttr(P(path), P(name), new Span<byte>(value, (int)size)); }
        catch (Exception e) { return Fail("getxattr", e); }
    }

    [UnmanagedCallersOnly]
    private static int ListXAttr(byte* path, byte* list, nuint size)
    {
        try { return Mount().FileSystem.ListXAttr(P(path), new Span<byte>(list, (int)size)); }
        catch (Exception e) { return Fail("listxattr", e); }
    }

    [UnmanagedCallersOnly]
    private static int RemoveXAttr(byte* path, byte* name)
    {
        try { return Mount().FileSystem.RemoveXAttr(P(path), P(name)); }
        catch (Exception e) { return Fail("removexattr", e); }
    }

    [UnmanagedCallersOnly]
    private static int OpenDir(byte* path, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.OpenDir(P(path), ref *fi); }
        catch (Exception e) { return Fail("opendir", e); }
    }

    [UnmanagedCallersOnly]
    private static int ReadDir(byte* path, nint buf, nint filler, long offset, FuseFileInfo* fi, int flags)
    {
        const int ReaddirPlus = 1;
        try { return Mount().FileSystem.ReadDir(P(path), new DirectoryFiller(filler, buf), offset, ref *fi, (flags & ReaddirPlus) != 0); }
        catch (Exception e) { return Fail("readdir", e); }
    }

    [UnmanagedCallersOnly]
    private static int ReleaseDir(byte* path, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.ReleaseDir(P(path), ref *fi); }
        catch (Exception e) { return Fail("releasedir", e); }
    }

    [UnmanagedCallersOnly]
    private static int FSyncDir(byte* path, int datasync, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.FSyncDir(P(path), datasync != 0, ref *fi); }
        catch (Exception e) { return Fail("fsyncdir", e); }
    }

    [UnmanagedCallersOnly]
    private static int Access(byte* path, int mode)
    {
        try { return Mount().FileSystem.Access(P(path), mode); }
        catch (Exception e) { return Fail("access", e); }
    }

    [UnmanagedCallersOnly]
    private static int Utimens(byte* path, TimeSpec* tv, FuseFileInfo* fi)
    {
        try
        {
            TimeSpec atime = tv == null ? new TimeSpec { Nanoseconds = TimeSpec.UtimeNow } : tv[0];
            TimeSpec mtime = tv == null ? new TimeSpec { Nanoseconds = TimeSpec.UtimeNow } : tv[1];
            return Mount().FileSystem.UpdateTimestamps(P(path), ref atime, ref mtime, new FileInfoRef(fi));
        }
        catch (Exception e) { return Fail("utimens", e); }
    }

    [UnmanagedCallersOnly]
    private static int Fallocate(byte* path, int mode, long offset, long length, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.FAllocate(P(path), mode, offset, length, ref *fi); }
        catch (Exception e) { return Fail("fallocate", e); }
    }

    [UnmanagedCallersOnly]
    private static long Lseek(byte* path, long offset, int whence, FuseFileInfo* fi)
    {
        try { return Mount().FileSystem.LSeek(P(path), offset, whence, ref *fi); }
        catch (Exception e) { return Fail("lseek", e); }
    }
}
