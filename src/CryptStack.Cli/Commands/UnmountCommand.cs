using System.CommandLine;
using System.Diagnostics;
using CryptStack.Fuse;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack unmount`: fusermount3 -u, which also ends the daemon serving the mount.</summary>
internal static class UnmountCommand
{
    public static Command Create()
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Where the volume is mounted" };
        var lazy = new Option<bool>("--lazy", "-z") { Description = "Detach now even if files are open; the daemon ends when they close" };
        var command = new Command("unmount", "Unmount a CryptStack mount") { mountPoint, lazy };
        command.Aliases.Add("umount");
        command.SetAction(result =>
        {
            string target = Path.GetFullPath(result.GetRequiredValue(mountPoint));
            var entry = MountTable.Find(target);
            if (entry == null || !entry.FsType.StartsWith("fuse", StringComparison.Ordinal))
                throw new CliException(ExitCodes.NotMounted, $"{target}: not a FUSE mount");
            var psi = new ProcessStartInfo("fusermount3") { RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-u");
            if (result.GetValue(lazy)) psi.ArgumentList.Add("-z");
            psi.ArgumentList.Add(target);
            using var p = Process.Start(psi) ?? throw new CliException(ExitCodes.FuseMissing, "cannot run fusermount3 (apt-get install fuse3)");
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new CliException(ExitCodes.Error, $"{target}: {err.Trim().Replace("fusermount3: ", "")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
