using CryptStack.Fuse;
using CryptStack.Stack;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Serves one mount for the generic host's lifetime. SIGINT and SIGTERM reach us through the
/// host (which owns those signals in .NET); an external
/// `fusermount3 -u` ends the FUSE loop, and then we stop the host.
/// </summary>
internal sealed class MountService(
    MountJob job, IHostApplicationLifetime lifetime, ILoggerFactory loggers, ILogger<MountService> log) : IHostedService
{
    private FuseMount? _mount;
    private InodeStackFileSystem? _fs;
    private Timer? _idleTimer;
    private int _idleChecking;
    private int _released;
    private TimeSpan? _unmountedWhenIdle;
    private MountRecord? _record;
    private volatile bool _loopEnded;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _fs = job.CreateFileSystem(loggers);
        // Keys unlocked before the logger existed may already have been refused; later ones say so when it happens.
        if (Crypto.KeyMemory.FirstRefusal is int refused and not 0) log.LogWarning("{Reason}", Crypto.KeyMemory.Describe(refused));
        else Crypto.KeyMemory.LockRefused += errno => log.LogWarning("{Reason}", Crypto.KeyMemory.Describe(errno));
        FuseMount.CallbackFailed = (op, e) => log.LogError(e, "{Operation} failed", op);
        try
        {
            // Before mounting: a pid file that cannot be written fails the mount, not a live one.
            if (job.PidFile != null) DaemonFiles.Write(job.PidFile, Environment.ProcessId + "\n");
            // --debug: one line per FUSE request and reply.
            var fuseLog = loggers.CreateLogger("fuse");
            var requests = fuseLog.IsEnabled(LogLevel.Debug)
                ? new Fuse.Session.RequestLog(line => fuseLog.LogDebug("{Request}", line), job.Options.LogNames)
                : null;
            _mount = FuseMount.Mount(job.MountPoint, _fs, job.Options, requests);
        }
        catch
        {
            Release();
            throw;
        }
        // A stat through the mount is answered only after the kernel's INIT round trip: from
        // here on the mount is usable.
        _ = Directory.Exists(job.MountPoint);
        _record = MountRecord.ForThisProcess(job.MountPoint, job.Shared);
        try { _record.Write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("{MountPoint}: cannot write the mount record ({Reason}); `cryptstack unmount` will not wait for this daemon", job.MountPoint, e.Message);
        }
        log.LogDebug("FUSE connection: {Connection}", _mount.Connection);
        log.LogInformation("{Source} mounted on {MountPoint}{ReadOnly}", job.Options.FsName, job.MountPoint, job.Options.ReadOnly ? " (read-only)" : "");

        _mount.WaitForUnmountAsync().ContinueWith(_ =>
        {
            _loopEnded = true;
            if (_unmountedWhenIdle is { } idle)
                log.LogInformation("{MountPoint} unmounted: unused for {Idle}", job.MountPoint, Posix.FormatDuration(idle));
            else
                log.LogInformation("{MountPoint} unmounted", job.MountPoint);
            lifetime.StopApplication();
        }, TaskScheduler.Default);
        if (job.Idle is { } idle) StartIdleWatch(idle);
        if (job.NotifyParent)
        {
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            Posix.DetachStdio();
        }
        return Task.CompletedTask;
    }

    private void StartIdleWatch(TimeSpan idle)
    {
        long lastSeen = _fs!.ActivityCount;
        DateTime lastChange = DateTime.UtcNow;
        var period = TimeSpan.FromSeconds(Math.Clamp(idle.TotalSeconds / 4, 0.25, 30));
        _idleTimer = new Timer(_ =>
        {
            // Timer callbacks may overlap when an unmount attempt is slow (fusermount3).
            if (Interlocked.Exchange(ref _idleChecking, 1) == 1) return;
            try
            {
                long now = _fs.ActivityCount;
                if (now != lastSeen || _fs.OpenFileCount > 0)
                {
                    lastSeen = now;
                    lastChange = DateTime.UtcNow;
                    return;
                }
                if (DateTime.UtcNow - lastChange < idle) return;
                // Not lazy, unlike SIGTERM: a mount still in use (a shell's working directory, a
                // directory being listed) refuses with EBUSY and stays; we look again later.
                // A successful unmount ends the FUSE loop, and WaitForUnmountAsync stops the host.
                _unmountedWhenIdle = idle;
                if (Posix.Unmount(job.MountPoint))
                {
                    _idleTimer?.Dispose();
                    return;
                }
                _unmountedWhenIdle = null;
                log.LogDebug("{MountPoint} unused but busy: staying mounted", job.MountPoint);
                lastChange = DateTime.UtcNow;
            }
            finally
            {
                Volatile.Write(ref _idleChecking, 0);
            }
        }, null, period, period);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _idleTimer?.Dispose();
        // After the drain, the grace is spent: what is still open is aborted at once, not after another wait.
        bool drained = _mount != null && !_loopEnded;
        if (drained) DetachAndDrain();
        if (_mount != null && !_mount.Unmount(TimeSpan.FromSeconds(drained ? 1 : 10)))
            log.LogWarning("{MountPoint}: the FUSE loop did not end in time", job.MountPoint);
        Release();
        return Task.CompletedTask;
    }

    /// <summary>How long SIGTERM/SIGINT let files that are still open finish (docs/cli.md, Stopping).</summary>
    public static readonly TimeSpan OpenFilesGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// SIGTERM or SIGINT while mounted: detach the mount at once (no new opens; the mount point is free),
    /// keep serving the files still open for up to <see cref="OpenFilesGrace"/> so a writer can finish and
    /// close, then stop. What is still open after that fails with ENOTCONN.
    /// </summary>
    private void DetachAndDrain()
    {
        if (_fs!.OpenFileCount > 0)
            log.LogInformation("{MountPoint}: stopping; waiting up to {Seconds} s for {Count} open file(s)", job.MountPoint, OpenFilesGrace.TotalSeconds, _fs.OpenFileCount);
        Posix.DetachLazily(job.MountPoint);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_fs.OpenFileCount > 0 && !_loopEnded && clock.Elapsed < OpenFilesGrace) Thread.Sleep(50);
        if (_fs.OpenFileCount > 0 && !_loopEnded)
            log.LogWarning("{MountPoint}: {Count} file(s) still open after {Seconds} s; they now fail with ENOTCONN", job.MountPoint, _fs.OpenFileCount, OpenFilesGrace.TotalSeconds);
    }

    /// <summary>Zeroes the keys (job.Cleanup) and removes the pid file: once, whether or not we mounted.</summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return;
        _fs?.Dispose();
        job.Cleanup?.Invoke();
        if (job.PidFile != null) File.Delete(job.PidFile);
        try { _record?.Delete(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
