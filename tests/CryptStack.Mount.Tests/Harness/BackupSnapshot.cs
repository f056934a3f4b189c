using System.Diagnostics;
using System.Globalization;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// What a restore must bring back, beyond <see cref="TreeSnapshot"/> (names, types, modes, sizes, link counts,
/// contents, link targets, device numbers): owners, modification times to the nanosecond, user xattrs, which
/// names are hard links of one another, and which regular files are sparse. Atime is left out: reading the tree
/// to hash it changes it (tested apart, on a file nobody read).
/// </summary>
public static class BackupSnapshot
{
    public static List<string> Take(string root)
    {
        var lines = TreeSnapshot.Take(root);
        var inodes = new Dictionary<ulong, string>();
        foreach (string path in Enumerate(root))
        {
            string rel = Path.GetRelativePath(root, path);
            var st = LibC.LStatOf(path);
            lines.Add($"owner {rel} {st.Uid}:{st.Gid} mtime={st.MTime}");
            if (st.Type == LibC.S_IFREG)
            {
                if (st.NLink > 1)
                {
                    if (inodes.TryGetValue(st.Ino, out string? first)) lines.Add($"hardlink {rel} = {first}");
                    else inodes[st.Ino] = rel;
                }
                // Sparse: less than half of the size is allocated (a restore that wrote the holes allocates it all).
                if (st.Size >= 1 << 20) lines.Add($"sparse {rel} {st.Blocks * 512 < st.Size / 2}");
            }
        }
        lines.AddRange(Xattrs(root));
        // getfattr lists in directory order, which differs between trees with the same content.
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static IEnumerable<string> Enumerate(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, ReturnSpecialDirectories = false })
            .Order(StringComparer.Ordinal);

    /// <summary>getfattr's dump of user xattrs, with paths relative to the root.</summary>
    /// <summary>
    /// The snapshot of a tree after a copy by tar, which does not archive sockets ("socket ignored"): what a
    /// restore from a tar backup can bring back.
    /// </summary>
    public static List<string> WithoutSockets(List<string> snapshot, params string[] sockets) =>
        snapshot.Where(l => !sockets.Any(s => l.Contains(" " + s + " ", StringComparison.Ordinal))).ToList();

    private static IEnumerable<string> Xattrs(string root)
    {
        var psi = new ProcessStartInfo("getfattr") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (string a in new[] { "-R", "-h", "-d", "-m", "^user\\.", "--absolute-names", "." }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "xattr " + l);
    }

    public static string Format(LibC.TimeSpec t) => t.Seconds.ToString(CultureInfo.InvariantCulture) + "." + t.Nanoseconds.ToString("D9", CultureInfo.InvariantCulture);
}
