using System.CommandLine;
using CryptStack.Cli.Daemon;
using CryptStack.Stack;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack mirror`: the stack with identity transforms, like bindfs. Our test double and speed ceiling.</summary>
internal static class MirrorCommand
{
    public static Command Create()
    {
        var backing = new Argument<string>("BACKING") { Description = "Directory to mirror" };
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Empty directory to mount on" };
        var options = new MountOptionSet();
        var command = new Command("mirror", "Mount a plain (unencrypted) mirror of a directory through the stack")
        {
            backing, mountPoint,
        };
        options.AddTo(command);
        command.SetAction(result =>
        {
            string source = MountPoints.Canonical(result.GetRequiredValue(backing));
            string target = MountPoints.Canonical(result.GetRequiredValue(mountPoint));
            MountPoints.CheckApart(source, target, "the backing directory");
            var parsed = options.Parse(result, source);
            if (!Directory.Exists(source))
                throw new CliException(ExitCodes.Usage, $"{source}: backing directory does not exist");
            bool notify = result.GetValue(options.NotifyReady);
            if (!notify) MountPoints.CheckUsable(target, parsed.AllowNonEmpty);
            if (!notify) options.CheckDaemonFiles(result);
            if (!result.GetValue(options.Foreground))
                return DaemonLauncher.Start(Environment.GetCommandLineArgs()[1..], []);

            var job = new MountJob
            {
                MountPoint = target,
                // The mirror's file data never needs the daemon: the kernel reads and writes the backing
                // files itself where it allows (root, kernel 6.9+), unless -o nopassthrough.
                Options = parsed.Mount with { Passthrough = parsed.Passthrough ?? true },
                NotifyParent = notify,
                Shared = parsed.Shared,
                PidFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.PidFile)),
                LogFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.LogFile)),
                Idle = parsed.Idle,
                CreateFileSystem = loggers => new InodeStackFileSystem(source, StackTransforms.Identity, loggers.CreateLogger("mirror")),
            };
            return MountDaemon.Run(job, result.GetValue(options.Debug));
        });
        return command;
    }
}
