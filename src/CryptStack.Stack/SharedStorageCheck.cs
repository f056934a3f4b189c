namespace CryptStack.Stack;

/// <summary>
/// Whether a backing directory on a network filesystem can keep the -o shared guarantee (no torn or lost
/// block between hosts). Only GlusterFS is checked: its FUSE client shows its active translator graph under
/// <c>MOUNT/.meta/graphs/active/volfile</c>, and client-side caches in that graph serve bytes or sizes the
/// other host has already changed, whatever lock is held (measured, issue #17 and docs/architecture.md).
/// Other filesystems, and a GlusterFS mount whose graph cannot be read, pass unchecked.
/// </summary>
public static class SharedStorageCheck
{
    /// <summary>Translators that cache data or metadata in the client, and the volume option that removes each.</summary>
    private static readonly (string Type, string Option)[] CachingTranslators =
    [
        ("performance/quick-read", "performance.quick-read"),
        ("performance/io-cache", "performance.io-cache"),
        ("performance/read-ahead", "performance.read-ahead"),
        ("performance/write-behind", "performance.write-behind"),
        ("performance/open-behind", "performance.open-behind"),
        ("performance/md-cache", "performance.stat-prefetch"),
        ("performance/nl-cache", "performance.nl-cache"),
        ("performance/readdir-ahead", "performance.readdir-ahead"),
    ];

    /// <summary>What makes <paramref name="backingDirectory"/> unfit for -o shared, or null when nothing known does.</summary>
    public static string? Problem(string backingDirectory)
    {
        string? glusterRoot = GlusterMountOf(Path.GetFullPath(backingDirectory));
        if (glusterRoot == null) return null;
        string volfile;
        try { volfile = File.ReadAllText(Path.Combine(glusterRoot, ".meta", "graphs", "active", "volfile")); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var off = new List<string>();
        foreach (var (type, option) in CachingTranslators)
            if (volfile.Contains("type " + type + "\n", StringComparison.Ordinal)) off.Add(option);
        // AFR's eager lock (on unless the volfile says off) keeps a file's inode lock across transactions of
        // one client; off was part of the configuration measured clean in issue #17, so it stays required.
        if (volfile.Contains("type cluster/replicate\n", StringComparison.Ordinal)
            && !volfile.Contains("option eager-lock off\n", StringComparison.Ordinal)) off.Add("cluster.eager-lock");
        if (off.Count == 0) return null;
        return $"{backingDirectory} is on the GlusterFS mount {glusterRoot}, whose client caches would let hosts see each other's "
            + $"blocks stale (docs/architecture.md). Turn them off on the volume: "
            + string.Join("; ", off.Select(o => $"gluster volume set VOLUME {o} off")) + ".";
    }

    private static string? GlusterMountOf(string path)
    {
        string? best = null;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
                string[] f = line.Split(' ');
                int dash = Array.IndexOf(f, "-");
                if (dash < 0 || dash + 1 >= f.Length || f[dash + 1] != "fuse.glusterfs") continue;
                string mountPoint = f[4].Replace("\\040", " ", StringComparison.Ordinal);
                bool inside = path == mountPoint || path.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
                if (inside && (best == null || mountPoint.Length > best.Length)) best = mountPoint;
            }
        }
        catch (IOException) { return null; }
        return best;
    }
}
