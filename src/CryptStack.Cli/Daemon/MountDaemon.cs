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
        // The kernel already applied the caller's umask; ours would strip mode bits a second time.
        Posix.Umask(0);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (job.NotifyParent)
        {
            builder.Logging.AddProvider(new SyslogLoggerProvider());
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        if (job.LogFile != null) builder.Logging.AddProvider(new FileLoggerProvider(job.LogFile));
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
