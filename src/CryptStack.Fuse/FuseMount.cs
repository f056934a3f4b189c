using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>
/// A mounted filesystem served by libfuse's multithreaded loop on a dedicated thread.
/// Dispose (or <see cref="Unmount"/>) ends it; an external `fusermount3 -u` ends it too,
/// and <see cref="WaitForUnmountAsync"/> completes either way.
/// </summary>
public sealed unsafe class FuseMount : IDisposable
{
    /// <summary>
    /// Prefix of the names libfuse gives unlinked files that are still open, until their last
    /// close. A filesystem leaves them out of directory listings.
    /// </summary>
    public const string FuseHiddenPrefix = ".fuse_hidden";

    /// <summary>Where callback exceptions are reported (operation name, exception).</summary>
    public static Action<string, Exception>? CallbackFailed { get; set; }

    private readonly MountOptions _options;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private GCHandle _self;
    private nint _fuse;
    private FuseOperations* _ops;
    // Low-level (inode) API: the session instead of the high-level struct fuse.
    private nint _session;
    private FuseLowLevelOps* _llops;
    private NativeArgv _argv;
    private Thread? _loop;
    private bool _unmountRequested;

    public string MountPoint { get; }
    internal IFuseFileSystem FileSystem { get; } = null!;
    internal IFuseLowLevelFileSystem LowLevel { get; } = null!;
    internal MountOptions Options => _options;

    private FuseMount(string mountPoint, IFuseFileSystem fileSystem, MountOptions options)
    {
        MountPoint = mountPoint;
        FileSystem = fileSystem;
        _options = options;
    }

    private FuseMount(string mountPoint, IFuseLowLevelFileSystem fileSystem, MountOptions options)
    {
        MountPoint = mountPoint;
        LowLevel = fileSystem;
        _options = options;
    }

    /// <summary>Mounts a low-level (inode) filesystem; lifetime and shutdown are the same as for a path one.</summary>
    public static FuseMount Mount(string mountPoint, IFuseLowLevelFileSystem fileSystem, MountOptions options)
    {
        var mount = new FuseMount(Path.GetFullPath(mountPoint), fileSystem, options);
        try
        {
            mount.StartLowLevel();
            return mount;
        }
        catch
        {
            mount.FreeNative();
            throw;
        }
    }

    private void StartLowLevel()
    {
        _self = GCHandle.Alloc(this);
        _llops = (FuseLowLevelOps*)NativeMemory.AllocZeroed((nuint)sizeof(FuseLowLevelOps));
        FuseLowLevelCallbacks.Fill(_llops);
        _argv = new NativeArgv(["cryptstack", "-o", _options.ToOptionString()]);

        var args = new FuseArgs { Argc = _argv.Count, Argv = _argv.Pointer, Allocated = 0 };
        _session = LibFuseLowLevel.SessionNew(&args, _llops, (nuint)sizeof(FuseLowLevelOps), GCHandle.ToIntPtr(_self));
        if (_session == 0)
            throw new FuseException($"libfuse rejected the mount options '{_options.ToOptionString()}'");

        byte[] mp = Encoding.UTF8.GetBytes(MountPoint + "\0");
        int rc;
        fixed (byte* p = mp) rc = LibFuseLowLevel.SessionMount(_session, p);
        if (rc != 0)
        {
            LibFuseLowLevel.SessionDestroy(_session);
            _session = 0;
            throw new FuseException($"cannot mount on {MountPoint} (is /dev/fuse available and the mount point an existing directory?)");
        }

        _loop = new Thread(RunLoop) { Name = "fuse-loop", IsBackground = true };
        _loop.Start();
    }

    internal void ConfigureLowLevel(FuseConnInfo* conn)
    {
        conn->Want |= conn->Capable & (FuseCapabilities.ParallelDirops | FuseCapabilities.AtomicOTrunc);
        conn->Want &= ~(FuseCapabilities.SpliceRead | FuseCapabilities.SpliceWrite | FuseCapabilities.SpliceMove);
        // The kernel applies the caller's umask before mkdir/mknod/create reach us (no FUSE_DONT_MASK),
        // as it does for the path API; the daemon runs with umask 0.
        conn->Want &= ~FuseCapabilities.DontMask;
        // readdirplus only when it saves lookups: libfuse's adaptive mode lets the kernel choose.
        conn->Want |= conn->Capable & (FuseCapabilities.ReaddirPlus | FuseCapabilities.ReaddirPlusAuto);
    }

    /// <summary>What auto_cache and direct_io do in the path API, per open file.</summary>
    internal void ApplyCachePolicy(FuseFileInfo* fi)
    {
        if (_options.DirectIo) fi->DirectIo = true;
        // The kernel drops cached pages itself when it sees mtime or size change (FUSE_AUTO_INVAL_DATA).
        else if (_options.AutoCache) fi->KeepCache = true;
    }

    /// <summary>Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> and starts serving it.</summary>
    public static FuseMount Mount(string mountPoint, IFuseFileSystem fileSystem, MountOptions options)
    {
        var mount = new FuseMount(Path.GetFullPath(mountPoint), fileSystem, options);
        try
        {
            mount.Start();
            return mount;
        }
        catch
        {
            mount.FreeNative();
            throw;
        }
    }

    private void Start()
    {
        _self = GCHandle.Alloc(this);
        _ops = (FuseOperations*)NativeMemory.AllocZeroed((nuint)sizeof(FuseOperations));
        FuseCallbacks.Fill(_ops);
        _argv = new NativeArgv(["cryptstack", "-o", _options.ToOptionString()]);

        var args = new FuseArgs { Argc = _argv.Count, Argv = _argv.Pointer, Allocated = 0 };
        _fuse = LibFuse.New(&args, _ops, (nuint)sizeof(FuseOperations), GCHandle.ToIntPtr(_self));
        if (_fuse == 0)
            throw new FuseException($"libfuse rejected the mount options '{_options.ToOptionString()}'");

        byte[] mp = Encoding.UTF8.GetBytes(MountPoint + "\0");
        int rc;
        fixed (byte* p = mp) rc = LibFuse.Mount(_fuse, p);
        if (rc != 0)
        {
            LibFuse.Destroy(_fuse);
            _fuse = 0;
            throw new FuseException($"cannot mount on {MountPoint} (is /dev/fuse available and the mount point an existing directory?)");
        }

        _loop = new Thread(RunLoop) { Name = "fuse-loop", IsBackground = true };
        _loop.Start();
    }

    private void RunLoop()
    {
        nint cfg = LibFuse.LoopConfigCreate();
        try
        {
            LibFuse.LoopConfigSetMaxThreads(cfg, _options.MaxThreads);
            LibFuse.LoopConfigSetIdleThreads(cfg, Math.Min(4u, _options.MaxThreads));
            // One /dev/fuse fd per worker thread: requests are spread without a shared queue.
            LibFuse.LoopConfigSetCloneFd(cfg, 1);
            if (_session != 0) LibFuseLowLevel.SessionLoopMt(_session, cfg);
            else LibFuse.LoopMt(_fuse, cfg);
        }
        catch (Exception e)
        {
            CallbackFailed?.Invoke("loop", e);
        }
        finally
        {
            LibFuse.LoopConfigDestroy(cfg);
            lock (_gate)
            {
                if (_session != 0)
                {
                    LibFuseLowLevel.SessionUnmount(_session);
                    LibFuseLowLevel.SessionDestroy(_session);
                    _session = 0;
                }
                else
                {
                    LibFuse.Unmount(_fuse);
                    LibFuse.Destroy(_fuse);
                    _fuse = 0;
                }
                FreeNative();
            }
            _ended.TrySetResult();
        }
    }

    internal void Configure(FuseConnInfo* conn, FuseConfig* cfg)
    {
        cfg->UseIno = 1;
        // No hard_remove: an unlinked open file is renamed to .fuse_hiddenXXX until its last
        // close. With hard_remove libfuse forgets the node at unlink, and fstat(2) on the open
        // file fails with ESTALE: the kernel sends GETATTR for fstat without the file handle
        // (fuse_getattr passes no file), so libfuse needs a path it no longer has.
        // FuseHiddenPrefix names are left out of listings by the filesystem.
        cfg->HardRemove = 0;
        // Ops that carry a file handle may still arrive without a path.
        cfg->NullPathOk = 1;
        cfg->AttrTimeout = _options.AttrTimeout;
        cfg->EntryTimeout = _options.EntryTimeout;
        cfg->NegativeTimeout = _options.NegativeTimeout;
        cfg->AutoCache = _options.AutoCache ? 1 : 0;
        cfg->DirectIo = _options.DirectIo ? 1 : 0;
        conn->Want |= conn->Capable & FuseCapabilities.ParallelDirops;
        // Splicing measured slower for this workload (shared/FUSE-FROM-DOTNET.md).
        conn->Want &= ~(FuseCapabilities.SpliceRead | FuseCapabilities.SpliceWrite | FuseCapabilities.SpliceMove);
    }

    /// <summary>Completes when the filesystem is no longer served (unmounted by anyone).</summary>
    public Task WaitForUnmountAsync() => _ended.Task;

    public bool IsServing => !_ended.Task.IsCompleted;

    /// <summary>
    /// Stops serving and detaches the mount. Open files keep a lazily detached mount alive, so
    /// after <paramref name="timeout"/> the FUSE connection is aborted: those files then fail
    /// with ENOTCONN, but the daemon always ends.
    /// </summary>
    public bool Unmount(TimeSpan timeout)
    {
        string? connection = null;
        lock (_gate)
        {
            if ((_fuse == 0 && _session == 0) || _unmountRequested) goto wait;
            _unmountRequested = true;
            connection = FuseConnections.FindConnection(MountPoint);
            if (_session != 0) LibFuseLowLevel.SessionExit(_session);
            else LibFuse.Exit(_fuse);
        }
        // Wake the workers blocked on /dev/fuse: detaching the mount makes their reads fail.
        Detach(MountPoint);
    wait:
        if (_ended.Task.Wait(timeout)) return true;
        if (connection != null) FuseConnections.Abort(connection);
        return _ended.Task.Wait(TimeSpan.FromSeconds(5));
    }

    private static void Detach(string mountPoint)
    {
        if (LibC.GetEuid() == 0)
        {
            byte[] mp = Encoding.UTF8.GetBytes(mountPoint + "\0");
            fixed (byte* p = mp)
                if (LibC.Umount2(p, LibC.MNT_DETACH) == 0) return;
        }
        try
        {
            using var p = Process.Start(new ProcessStartInfo("fusermount3", ["-u", "-z", mountPoint])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            p?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No fusermount3: nothing more we can do than the connection abort after the timeout.
        }
    }

    public void Dispose()
    {
        Unmount(TimeSpan.FromSeconds(10));
    }

    private void FreeNative()
    {
        if (_ops != null) { NativeMemory.Free(_ops); _ops = null; }
        if (_llops != null) { NativeMemory.Free(_llops); _llops = null; }
        _argv.Dispose();
        if (_self.IsAllocated) _self.Free();
    }

    /// <summary>argv in native memory: libfuse may keep pointers into it for the mount's lifetime.</summary>
    private struct NativeArgv : IDisposable
    {
        public byte** Pointer;
        public int Count;

        public NativeArgv(string[] args)
        {
            Count = args.Length;
            Pointer = (byte**)NativeMemory.AllocZeroed((nuint)(sizeof(nint) * (args.Length + 1)));
            for (int i = 0; i < args.Length; i++)
            {
                byte[] s = Encoding.UTF8.GetBytes(args[i]);
                byte* p = (byte*)NativeMemory.AllocZeroed((nuint)s.Length + 1);
                s.CopyTo(new Span<byte>(p, s.Length));
                Pointer[i] = p;
            }
        }

        public void Dispose()
        {
            if (Pointer == null) return;
            for (int i = 0; i < Count; i++) NativeMemory.Free(Pointer[i]);
            NativeMemory.Free(Pointer);
            Pointer = null;
        }
    }
}

public sealed class FuseException(string message) : Exception(message);
