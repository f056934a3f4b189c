using CryptStack.Fuse.Mounting;
using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Session;

namespace CryptStack.Fuse;

/// <summary>
/// A mounted filesystem served over the FUSE kernel protocol by our own session
/// (docs/fuse-binding.md). Dispose (or <see cref="Unmount"/>) ends it; an external
/// `fusermount3 -u` ends it too, and <see cref="WaitForUnmountAsync"/> completes either way.
/// </summary>
public sealed class FuseMount : IDisposable
{
    /// <summary>Where request failures are reported (operation name, exception).</summary>
    public static Action<string, Exception>? CallbackFailed { get; set; }

    private readonly FuseSession _session;
    private readonly object _gate = new();
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _unmountRequested;

    // Found once at mount time: after a lazy detach (SIGTERM's DetachAndDrain, `umount -l`) the mount
    // table no longer names it, yet open files keep the connection alive and only its abort file ends it.
    // The number stays ours while our session's descriptor is open, which is whenever we would abort.
    private readonly string? _connection;

    public string MountPoint { get; }

    private FuseMount(string mountPoint, FuseSession session)
    {
        MountPoint = mountPoint;
        _session = session;
        _connection = FuseConnections.FindConnection(mountPoint);
        _session.Initialized += () => _initialized.TrySetResult();
        _session.Ended.ContinueWith(_ => _initialized.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> and starts serving it.</summary>
    public static FuseMount Mount(string mountPoint, IFuseLowLevelFileSystem fileSystem, MountOptions options, RequestLog? debug = null)
    {
        string full = Path.GetFullPath(mountPoint);
        int fd = KernelMounter.Mount(full, options);
        var session = new FuseSession(fileSystem, options, fd, debug);
        var mount = new FuseMount(full, session);
        session.Start();
        return mount;
    }

    /// <summary>Completes when the filesystem is no longer served (unmounted by anyone).</summary>
    public Task WaitForUnmountAsync() => _session.Ended;

    public bool IsServing => !_session.Ended.IsCompleted;

    /// <summary>Completes once the kernel's INIT is answered (or the session ended first).</summary>
    public Task Initialized => _initialized.Task;

    /// <summary>What INIT negotiated, for logs and tests: protocol minor, flags offered and taken, workers.</summary>
    public FuseConnectionInfo Connection => new(_session.KernelMinor, _session.Minor, _session.Offered, _session.Taken,
        _session.WorkerCount, _session.RingCount, _session.RingRequests);

    /// <summary>FUSE_NOTIFY_INVAL_INODE: drop cached attributes, and pages in [offset, offset+length) (length 0: all; offset -1: attributes only). 0 or -errno.</summary>
    public int InvalidateInode(ulong node, long offset = 0, long length = 0) => _session.InvalidateInode(node, offset, length);

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: forget the cached lookup of <paramref name="name"/> in <paramref name="parent"/>. Never from inside a request on that directory (the kernel holds its lock).</summary>
    public int InvalidateEntry(ulong parent, ReadOnlySpan<byte> name) => _session.InvalidateEntry(parent, name);

    /// <summary>FUSE_NOTIFY_DELETE: the entry is gone (also drops the child's dentry if it matches).</summary>
    public int NotifyDelete(ulong parent, ulong child, ReadOnlySpan<byte> name) => _session.NotifyDelete(parent, child, name);

    /// <summary>FUSE_NOTIFY_PRUNE (7.45): let the kernel drop unused nodes now (FORGET follows for those it drops).</summary>
    public int Prune(ReadOnlySpan<ulong> nodes) => _session.Prune(nodes);

    /// <summary>
    /// Stops serving and detaches the mount. Open files keep a lazily detached mount alive, so
    /// after <paramref name="timeout"/> the FUSE connection is aborted: those files then fail
    /// with ENOTCONN, but the daemon always ends.
    /// </summary>
    public bool Unmount(TimeSpan timeout)
    {
        string? connection = _connection;
        string? there;
        lock (_gate)
        {
            if (!IsServing || _unmountRequested) goto wait;
            _unmountRequested = true;
            there = FuseConnections.FindConnection(MountPoint);
            connection ??= there;
        }
        // Detaching the mount ends the connection once nothing uses it: the workers' reads then fail with ENODEV.
        // Only our own: after a lazy detach the path may already hold someone else's new mount.
        if (there != null && there == connection) KernelMounter.Detach(MountPoint);
    wait:
        if (_session.Ended.Wait(timeout)) return true;
        if (connection != null) FuseConnections.Abort(connection);
        return _session.Ended.Wait(TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        Unmount(TimeSpan.FromSeconds(10));
    }
}

/// <summary>What INIT negotiated: the kernel's protocol minor, ours, the flags (flags | flags2 &lt;&lt; 32) offered and taken,
/// how many threads read /dev/fuse, how many io_uring queues serve, and how many requests came through them.</summary>
public sealed record FuseConnectionInfo(uint KernelMinor, uint Minor, ulong Offered, ulong Taken, int Workers, int Rings, long RingRequests)
{
    public bool Has(ulong flag) => (Taken & flag) != 0;
    public string Transport => Rings > 0 ? $"io_uring ({Rings} queues)" : "/dev/fuse";
    public override string ToString() =>
        $"protocol 7.{Minor} (kernel 7.{KernelMinor}), {Workers} /dev/fuse workers, transport {Transport}; offered: {FuseInitFlags.Describe(Offered)}; taken: {FuseInitFlags.Describe(Taken)}";
}

public sealed class FuseException(string message) : Exception(message);
