using System.Runtime.InteropServices;
using CryptStack.Fuse;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>Runs a <see cref="MountJob"/> in this process under the generic host until unmounted.</summary>
internal static class MountDaemon
{
    public static int Run(MountJob job, bool debug)
    {
        if (job.NotifyParent)
        {
            Posix.SetSid(); // own session: the user's terminal closing or Ctrl-C there must not reach us
            Posix.CloseInheritedDescriptors();
        }
        // The kernel already applied the caller's umask; ours would strip mode bits a second time. The
        // files the daemon writes itself set their modes explicitly (DaemonFiles).
        Posix.Umask(0);
        // Every path is absolute by now; a daemon holding the caller's working directory would keep the
        // filesystem it is on busy (a USB stick `mount` was started from could not be unmounted).
        Posix.ChDir("/");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        string? logFile = job.LogFile;
        if (job.NotifyParent)
        {
            if (LogDestinations.SyslogAvailable())
            {
                builder.Logging.AddProvider(new SyslogLoggerProvider());
            }
            else
            {
                logFile ??= LogDestinations.DefaultLogFile(job.MountPoint);
                // Our stderr is still the caller's until "ready": the warning reaches the user at mount time.
                Console.Error.WriteLine($"cryptstack: warning: no syslog ({LogDestinations.SyslogSocket} does not accept messages); the daemon logs to {logFile}");
            }
        }
        else
        {
            builder.Logging.AddProvider(new StderrLoggerProvider());
        }
        FileLoggerProvider? fileLog;
        try { fileLog = logFile == null ? null : new FileLoggerProvider(logFile); }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.Usage, $"--log-file {e.Message}");
        }
        if (fileLog != null) builder.Logging.AddProvider(fileLog);
        // SIGHUP: reopen the log file (logrotate's postrotate), as daemons do; without a log file, ignored
        // (the default action would end the daemon and leave a stale mount).
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            fileLog?.Reopen();
        });
        builder.Logging.SetMinimumLevel(debug ? LogLevel.Debug : LogLevel.Information);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSystemd();
        builder.Services.AddSingleton(job);
        builder.Services.AddHostedService<MountService>();

        using var host = builder.Build();
        try
        {
            host.Run();
            return ExitCodes.Ok;
        }
        catch (CliException)
        {
            throw;
        }
        catch (Exception e) when (e is FuseException or Stack.StackException or IOException or UnauthorizedAccessException)
        {
            // Before "ready" our stderr is still the user's terminal (the parent waits on us).
            Console.Error.WriteLine($"cryptstack: {e.Message}");
            return ExitCodes.MountFailed;
        }
    }
}
