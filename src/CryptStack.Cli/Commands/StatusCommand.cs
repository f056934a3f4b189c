using System.CommandLine;
using CryptStack.Fuse;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack status`: the CryptStack mounts this host has, from /proc/self/mountinfo.</summary>
internal static class StatusCommand
{
    public const string FsType = "fuse.cryptstack";

    public static Command Create()
    {
        var command = new Command("status", "List the CryptStack mounts on this host: source, mount point, kind and options");
        command.SetAction(_ =>
        {
            var mounts = MountTable.Read().Where(m => m.FsType == FsType).ToList();
            if (mounts.Count == 0)
            {
                Console.Out.WriteLine("No CryptStack mounts.");
                return ExitCodes.Ok;
            }
            var rows = new List<string[]> { new[] { "SOURCE", "MOUNTPOINT", "KIND", "OPTIONS" } };
            foreach (MountEntry m in mounts)
            {
                // The mirror also mounts as fuse.cryptstack; a volume is told apart by its config file.
                string kind = File.Exists(CryptVolume.ConfigPathFor(m.Source)) ? "encrypted" : "mirror";
                rows.Add([m.Source, m.MountPoint, kind, m.Options]);
            }
            int[] widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (string[] row in rows)
                Console.Out.WriteLine(string.Join("  ", row.Select((cell, c) => c == 3 ? cell : cell.PadRight(widths[c]))));
            return ExitCodes.Ok;
        });
        return command;
    }
}
