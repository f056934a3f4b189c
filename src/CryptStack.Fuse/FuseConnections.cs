using System.Diagnostics;

namespace CryptStack.Fuse;

/// <summary>
/// The kernel's per-connection control files (/sys/fs/fuse/connections/N, fusectl). Writing to
/// `abort` ends a connection that open files would otherwise keep alive after a lazy unmount.
/// </summary>
internal static class FuseConnections
{
    private const string Root = "/sys/fs/fuse/connections";

    /// <summary>The connection number: the mount's device minor.</summary>
    public static string? FindConnection(string mountPoint)
    {
        try
        {
            var entry = MountTable.Find(mountPoint);
            if (entry == null || !entry.FsType.StartsWith("fuse", StringComparison.Ordinal)) return null;
            return entry.Device[(entry.Device.IndexOf(':') + 1)..];
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static void Abort(string connection)
    {
        try
        {
            if (!Directory.Exists(Path.Combine(Root, connection)))
                Process.Start("mount", ["-t", "fusectl", "none", Root])?.WaitForExit(5_000);
            File.WriteAllText(Path.Combine(Root, connection, "abort"), "1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // Not root, or fusectl unavailable: the mount stays until its last file closes.
        }
    }
}
