using System.CommandLine;
using System.Diagnostics;
using CryptStack.Cli.Daemon;
using CryptStack.Fuse;

namespace CryptStack.Cli.Commands;

/// <summary>
/// `cryptstack unmount`: fusermount3 -u, which also ends the daemon serving the mount; returns once that
/// daemon has exited (its keys are zeroed and the volume can be mounted again at once).
/// </summary>
internal static class UnmountCommand
{
    /// <summary>How long unmount waits for the daemon to finish after the kernel let go of the mount.</summary>
    private static readonly TimeSpan DaemonExitWait = TimeSpan.FromSeconds(20);

    public static Command Create()
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Where the volume is mounted (a symlink to it will do)" };
        var lazy = new Option<bool>("--lazy", "-z") { Description = "Detach now even if files are open; the daemon ends when they close" };
        var force = new Option<bool>("--force") { Description = "Also unmount a FUSE mount that is not CryptStack's" };
        var command = new Command("unmount", "Unmount a CryptStack mount and wait for its daemon to exit") { mountPoint, lazy, force };
        command.Aliases.Add("umount");
        command.SetAction(result =>
        {
            string target = MountPoints.Canonical(result.GetRequiredValue(mountPoint));
            var entry = MountTable.Find(target);
            if (entry == null || !entry.FsType.StartsWith("fuse", StringComparison.Ordinal))
                throw new CliException(ExitCodes.NotMounted, $"{target}: not a FUSE mount");
            if (entry.FsType != StatusCommand.FsType && !result.GetValue(force))
                throw new CliException(ExitCodes.Refused, $"{target}: a {entry.FsType} mount, not CryptStack's; use --force to unmount it anyway");
            MountRecord? record = MountRecord.Read(target);
            var psi = new ProcessStartInfo("fusermount3") { RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-u");
            if (result.GetValue(lazy)) psi.ArgumentList.Add("-z");
            psi.ArgumentList.Add(target);
            Process p;
            try { p = Process.Start(psi) ?? throw new System.ComponentModel.Win32Exception(); }
            catch (System.ComponentModel.Win32Exception) { throw new CliException(ExitCodes.FuseMissing, "cannot run fusermount3 (apt-get install fuse3)"); }
            using (p)
            {
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                    throw new CliException(ExitCodes.Error, $"{target}: {err.Trim().Replace("fusermount3: ", "")}");
            }
            // A lazy unmount leaves the daemon serving open files: nothing to wait for.
            if (record != null && !result.GetValue(lazy) && !WaitForExit(record))
                Console.Error.WriteLine($"cryptstack: {target}: unmounted, but its daemon (pid {record.Pid}) is still running after {DaemonExitWait.TotalSeconds:0} s");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool WaitForExit(MountRecord record)
    {
        var clock = Stopwatch.StartNew();
        while (record.DaemonAlive)
        {
            if (clock.Elapsed > DaemonExitWait) return false;
            Thread.Sleep(20);
        }
        return true;
    }
}
