using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Transport;
using CryptStack.Fuse.Transport.IoUring;

namespace CryptStack.Fuse.Session;

/// <summary>
/// One FUSE connection: its /dev/fuse descriptor, what INIT negotiated, and the workers serving
/// it. Ends when every worker has returned (the kernel ends the connection at unmount or abort).
/// </summary>
internal sealed unsafe partial class FuseSession
{
    /// <summary>Largest request payload (max_write) and reply (read, readdir): 256 pages, the kernel's ceiling.</summary>
    public const int MaxPayload = 256 * 4096;

    private readonly List<RequestWorker> _workers = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    public IFuseLowLevelFileSystem FileSystem { get; }
    public MountOptions Options { get; }
    /// <summary>The connection's first descriptor: INIT and notifications go through it.</summary>
    public int Fd { get; }
    public RequestLog? Debug { get; }
    public Task Ended => _ended.Task;

    public FuseSession(IFuseLowLevelFileSystem fileSystem, MountOptions options, int fd, RequestLog? debug)
    {
        FileSystem = fileSystem;
        Options = options;
        Fd = fd;
        Debug = debug;
    }

    /// <summary>Starts one worker per core (within MaxThreads), each on its own cloned descriptor.</summary>
    public void Start()
    {
        int count = (int)Math.Clamp((uint)Environment.ProcessorCount, 1u, Math.Max(1u, Options.MaxThreads));
        _workers.Add(new DevFuseWorker(this, Fd, ownsFd: false));
        for (int i = 1; i < count; i++)
        {
            int clone = DevFuseWorker.Clone(Fd);
            if (clone < 0) break; // an old kernel without FUSE_DEV_IOC_CLONE: the workers share one descriptor
            _workers.Add(new DevFuseWorker(this, clone, ownsFd: true));
        }
        _running = _workers.Count;
        WorkerCount = _workers.Count;
        for (int i = 0; i < _workers.Count; i++) _workers[i].Start($"fuse-{i}");
    }

    /// <summary>Threads reading /dev/fuse (the rings' threads come on top).</summary>
    public int WorkerCount { get; private set; }

    /// <summary>Ring entries per queue: each holds a max_write payload buffer (1 MiB).</summary>
    public const int RingDepth = 4;
    private long _ringRequests;

    /// <summary>Requests served over io_uring so far (the rest came through /dev/fuse).</summary>
    public long RingRequests => Interlocked.Read(ref _ringRequests);
    public int RingCount { get; private set; }

    internal void CountRingRequest() => Interlocked.Increment(ref _ringRequests);

    /// <summary>One ring per possible CPU, as the kernel requires before it uses any.</summary>
    private void StartRings()
    {
        int queues = IoUringQueueWorker.PossibleCpus();
        var rings = new List<RequestWorker>();
        lock (_workers)
        {
            for (int q = 0; q < queues; q++) rings.Add(new IoUringQueueWorker(this, Fd, q, RingDepth));
            Interlocked.Add(ref _running, rings.Count);
            _workers.AddRange(rings);
            RingCount = rings.Count;
        }
        for (int q = 0; q < rings.Count; q++) rings[q].Start($"fuse-ring-{q}");
        Debug?.Note($"io_uring: {queues} queues of {RingDepth} entries");
    }

    internal void WorkerEnded()
    {
        if (Interlocked.Decrement(ref _running) != 0) return;
        lock (_workers) foreach (var w in _workers) w.Dispose();
        LibC.Close(Fd);
        _ended.TrySetResult();
    }

    public void ReportFailure(string operation, Exception e)
    {
        try { FuseMount.CallbackFailed?.Invoke(operation, e); }
        catch { /* logging must not end a worker */ }
    }

    /// <summary>What the mount options ask of every open file (direct_io, or keeping cached pages).</summary>
    public void ApplyCachePolicy(ref FuseFileInfo fi)
    {
        if (fi.BackingId > 0) return;
        if (Options.DirectIo) fi.DirectIo = true;
        // The kernel drops cached pages itself when it sees mtime or size change (FUSE_AUTO_INVAL_DATA).
        else if (Options.AutoCache) fi.KeepCache = true;
    }

    /// <summary>FUSE_INTERRUPT: marks the request if a worker is serving it. The filesystem may
    /// ignore the mark (the kernel then waits for the normal reply), which ours does: no request
    /// of the stack blocks for long.</summary>
    public void Interrupt(ulong unique)
    {
        lock (_workers)
            foreach (var w in _workers)
                if (Volatile.Read(ref w.CurrentUnique) == unique) w.CurrentInterrupted = true;
    }
}
