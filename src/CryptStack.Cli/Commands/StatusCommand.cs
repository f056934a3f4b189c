using System.CommandLine;
using System.Globalization;
using CryptStack.Cli.Daemon;
using CryptStack.Fuse;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack status`: the CryptStack mounts this host has, from /proc/self/mountinfo and the daemons' mount records.</summary>
internal static class StatusCommand
{
    public const string FsType = "fuse.cryptstack";

    public static Command Create()
    {
        var command = new Command("status", "List the CryptStack mounts on this host: source, mount point, kind, daemon and options");
        command.SetAction(_ =>
        {
            var mounts = MountTable.Read().Where(m => m.FsType == FsType).ToList();
            if (mounts.Count == 0)
            {
                Console.Out.WriteLine("No CryptStack mounts.");
                return ExitCodes.Ok;
            }
            var rows = new List<string[]> { new[] { "SOURCE", "MOUNTPOINT", "KIND", "DAEMON", "OPTIONS" } };
            foreach (MountEntry m in mounts)
            {
                // The mirror also mounts as fuse.cryptstack; a volume is told apart by its config file.
                string kind = File.Exists(CryptVolume.ConfigPathFor(m.Source)) || File.Exists(CryptVolume.BackupPathFor(m.Source)) ? "encrypted" : "mirror";
                MountRecord? record = MountRecord.Read(m.MountPoint);
                string options = record is { Shared: true } ? m.Options + ",shared" : m.Options;
                rows.Add([m.Source, m.MountPoint, kind, Daemon(m, record), options]);
            }
            int[] widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (string[] row in rows)
                Console.Out.WriteLine(string.Join("  ", row.Select((cell, c) => c == 4 ? cell : cell.PadRight(widths[c]))));
            if (rows.Any(r => r[3] == Gone))
                Console.Out.WriteLine($"A mount whose daemon is gone serves nothing (\"Transport endpoint is not connected\"): `cryptstack unmount MOUNTPOINT`, then mount again.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private const string Gone = "gone";

    /// <summary>"pid 1234" while the daemon serves, "gone" once it died; "-" for another user's mount we cannot tell.</summary>
    private static string Daemon(MountEntry mount, MountRecord? record)
    {
        if (!MountPoints.Responds(mount.MountPoint)) return Gone;
        return record is { DaemonAlive: true } ? "pid " + record.Pid.ToString(CultureInfo.InvariantCulture) : "-";
    }
}
