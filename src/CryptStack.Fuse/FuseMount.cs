using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse;

/// <summary>
/// A mounted filesystem served by libfuse's low-level (inode) API and its multithreaded loop on a
/// dedicated thread (docs/fuse-binding.md says why the low-level API).
/// Dispose (or <see cref="Unmount"/>) ends it; an external `fusermount3 -u` ends it too,
/// and <see cref="WaitForUnmountAsync"/> completes either way.
/// </summary>
public sealed unsafe class FuseMount : IDisposable
{
    /// <summary>Where callback exceptions are reported (operation name, exception).</summary>
    public static Action<string, Exception>? CallbackFailed { get; set; }

    private readonly MountOptions _options;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private GCHandle _self;
    private nint _session;
    private FuseLowLevelOps* _ops;
    private NativeArgv _argv;
    private Thread? _loop;
    private bool _unmountRequested;

    public string MountPoint { get; }
    internal IFuseLowLevelFileSystem FileSystem { get; }
    internal MountOptions Options => _options;

    private FuseMount(string mountPoint, IFuseLowLevelFileSystem fileSystem, MountOptions options)
    {
        MountPoint = mountPoint;
        FileSystem = fileSystem;
        _options = options;
    }

    /// <summary>Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> and starts serving it.</summary>
    public static FuseMount Mount(string mountPoint, IFuseLowLevelFileSystem fileSystem, MountOptions options)
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
        _ops = (FuseLowLevelOps*)NativeMemory.AllocZeroed((nuint)sizeof(FuseLowLevelOps));
        FuseLowLevelCallbacks.Fill(_ops);
        _argv = new NativeArgv(["cryptstack", "-o", _options.ToOptionString()]);

        var args = new FuseArgs { Argc = _argv.Count, Argv = _argv.Pointer, Allocated = 0 };
        _session = LibFuseLowLevel.SessionNew(&args, _ops, (nuint)sizeof(FuseLowLevelOps), GCHandle.ToIntPtr(_self));
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

    internal void Configure(FuseConnInfo* conn)
    {
        conn->Want |= conn->Capable & (FuseCapabilities.ParallelDirops | FuseCapabilities.AtomicOTrunc);
        // Splicing measured slower for this workload (shared/FUSE-FROM-DOTNET.md).
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

    private void RunLoop()
    {
        nint cfg = LibFuse.LoopConfigCreate();
        try
        {
            LibFuse.LoopConfigSetMaxThreads(cfg, _options.MaxThreads);
            // Keep every worker the loop starts until it ends: libfuse 3.14 otherwise ends workers above
            // the idle limit and starts new ones under load, and each new native thread costs a runtime
            // attach and a fresh reply buffer (issue #15). At most MaxThreads threads, each mostly asleep.
            LibFuse.LoopConfigSetIdleThreads(cfg, _options.MaxThreads);
            // One /dev/fuse fd per worker thread: requests are spread without a shared queue.
            LibFuse.LoopConfigSetCloneFd(cfg, 1);
            LibFuseLowLevel.SessionLoopMt(_session, cfg);
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
                LibFuseLowLevel.SessionUnmount(_session);
                LibFuseLowLevel.SessionDestroy(_session);
                _session = 0;
                FreeNative();
            }
            _ended.TrySetResult();
        }
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
            if (_session == 0 || _unmountRequested) goto wait;
            _unmountRequested = true;
            connection = FuseConnections.FindConnection(MountPoint);
            LibFuseLowLevel.SessionExit(_session);
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
