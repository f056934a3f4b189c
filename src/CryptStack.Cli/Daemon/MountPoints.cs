using CryptStack.Fuse;

namespace CryptStack.Cli.Daemon;

/// <summary>Checks on a mount point before mounting, and the FUSE mounts this host has.</summary>
internal static class MountPoints
{
    public static bool IsMounted(string mountPoint) => MountTable.Find(mountPoint) != null;

    /// <summary>
    /// The path as the mount table spells it: absolute, symlinks resolved. realpath(3) fails on a mount
    /// whose daemon died (ENOTCONN at the last step), so then the parent is resolved and a symlink as
    /// the last component is followed by hand.
    /// </summary>
    public static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        for (int hops = 0; hops < 40; hops++)
        {
            if (Posix.ResolvePath(full, out _) is { } resolved) return resolved;
            string? parent = Path.GetDirectoryName(full);
            if (parent == null) return full;
            string joined = Path.Combine(Posix.ResolvePath(parent, out _) ?? parent, Path.GetFileName(full));
            string? link;
            try { link = new FileInfo(joined).LinkTarget; }
            catch (IOException) { return joined; }
            if (link == null) return joined;
            full = Path.GetFullPath(link, Path.GetDirectoryName(joined)!);
        }
        return full;
    }

    /// <summary>A mount point inside CIPHERDIR, or CIPHERDIR inside the mount point, would serve the filesystem from itself.</summary>
    public static void CheckApart(string source, string mountPoint, string sourceName)
    {
        if (IsWithin(mountPoint, source))
            throw new CliException(ExitCodes.Usage, $"{mountPoint}: the mount point is inside {sourceName} {source}; choose a mount point outside it");
        if (IsWithin(source, mountPoint))
            throw new CliException(ExitCodes.Usage, $"{source}: {sourceName} is inside the mount point {mountPoint}; the mount would hide it");
    }

    private static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);

    public static void CheckUsable(string mountPoint, bool allowNonEmpty)
    {
        // The mount table first: the mount of a daemon that was killed is still listed, and any stat of
        // it fails (ENOTCONN), which would read as "does not exist".
        if (MountTable.Find(mountPoint) is { } existing)
        {
            bool dead = existing.FsType.StartsWith("fuse", StringComparison.Ordinal) && !Responds(mountPoint);
            throw new CliException(ExitCodes.AlreadyMounted, dead
                ? $"{mountPoint}: a FUSE mount whose daemon is gone is still there; remove it with `cryptstack unmount {mountPoint}` and mount again"
                : $"{mountPoint}: something is already mounted there");
        }
        if (!Directory.Exists(mountPoint))
            throw new CliException(ExitCodes.Usage, $"{mountPoint}: mount point does not exist or is not a directory");
        if (!allowNonEmpty && Directory.EnumerateFileSystemEntries(mountPoint).Any())
            throw new CliException(ExitCodes.MountPointNotEmpty, $"{mountPoint}: mount point is not empty (use -o nonempty to mount over it anyway)");
        if (!File.Exists("/dev/fuse"))
            throw new CliException(ExitCodes.FuseMissing, "/dev/fuse is missing: load the fuse kernel module (modprobe fuse)");
        // Root mounts with mount(2); everyone else needs the setuid fusermount3 (the daemon needs no libfuse).
        if (Posix.GetEuid() != 0 && !OnPath("fusermount3"))
            throw new CliException(ExitCodes.FuseMissing, "fusermount3 is not installed (Debian: apt-get install fuse3)");
    }

    public static bool Responds(string mountPoint)
    {
        try
        {
            _ = File.GetAttributes(mountPoint); // ENOTCONN on a mount whose daemon died
            return true;
        }
        catch (IOException) { return false; }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, program)));
}
