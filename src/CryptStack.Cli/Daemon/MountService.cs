using CryptStack.Fuse;
using CryptStack.Stack;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Serves one mount for the generic host's lifetime. SIGINT and SIGTERM reach us through the
/// host (which owns those signals in .NET, so libfuse's handlers never run); an external
/// `fusermount3 -u` ends the FUSE loop, and then we stop the host.
/// </summary>
internal sealed class MountService(
    MountJob job, IHostApplicationLifetime lifetime, ILoggerFactory loggers, ILogger<MountService> log) : IHostedService
{
    private FuseMount? _mount;
    private StackFileSystem? _fs;
    private Timer? _idleTimer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _fs = job.CreateFileSystem(loggers);
        FuseMount.CallbackFailed = (op, e) => log.LogError(e, "{Operation} failed", op);
        _mount = FuseMount.Mount(job.MountPoint, _fs, job.Options);
        // A stat through the mount is answered only after the kernel's INIT round trip: from
        // here on the mount is usable.
        _ = Directory.Exists(job.MountPoint);
        log.LogInformation("{Source} mounted on {MountPoint}", job.Options.FsName, job.MountPoint);

        if (job.PidFile != null) File.WriteAllText(job.PidFile, Environment.ProcessId + "\n");
        _mount.WaitForUnmountAsync().ContinueWith(_ =>
        {
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
            long now = _fs.ActivityCount;
            if (now != lastSeen || _fs.OpenFileCount > 0)
            {
                lastSeen = now;
                lastChange = DateTime.UtcNow;
                return;
            }
            if (DateTime.UtcNow - lastChange >= idle)
            {
                log.LogInformation("{MountPoint} idle for {Idle}: unmounting", job.MountPoint, idle);
                _idleTimer?.Dispose();
                lifetime.StopApplication();
            }
        }, null, period, period);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _idleTimer?.Dispose();
        if (_mount != null && !_mount.Unmount(TimeSpan.FromSeconds(10)))
            log.LogWarning("{MountPoint}: the FUSE loop did not end in time", job.MountPoint);
        _fs?.Dispose();
        job.Cleanup?.Invoke();
        if (job.PidFile != null) File.Delete(job.PidFile);
        return Task.CompletedTask;
    }
}
