using System.Security.Cryptography;
using System.Text;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// What a user sees of a directory tree: names, types, modes, sizes, link counts, contents and
/// link targets, without following symlinks. Two snapshots compare line by line.
/// </summary>
public static class TreeSnapshot
{
    public static List<string> Take(string root)
    {
        var lines = new List<string>();
        Walk(root, "", lines);
        return lines;
    }

    private static void Walk(string root, string relative, List<string> lines)
    {
        string dir = relative.Length == 0 ? root : Path.Combine(root, relative);
        var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (string? name in names)
        {
            string rel = relative.Length == 0 ? name! : relative + "/" + name;
            string full = Path.Combine(root, rel);
            var st = LibC.LStatOf(full);
            string perms = Convert.ToString(st.Permissions, 8);
            switch (st.Type)
            {
                case LibC.S_IFDIR:
                    lines.Add($"d {rel} {perms}");
                    Walk(root, rel, lines);
                    break;
                case LibC.S_IFREG:
                    lines.Add($"f {rel} {perms} size={st.Size} nlink={st.NLink} sha={Hash(full)}");
                    break;
                case LibC.S_IFLNK:
                    lines.Add($"l {rel} -> {LibC.ReadLink(full)} size={st.Size}");
                    break;
                default:
                    lines.Add($"{Convert.ToString(st.Type >> 12, 8)} {rel} {perms} rdev={st.RDev}");
                    break;
            }
        }
    }

    private static string Hash(string path)
    {
        // Root reads any mode; open(2) directly so a 0000 file is read too.
        int fd = LibC.OpenOk(path, LibC.O_RDONLY);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long offset = 0;
            while (true)
            {
                long n = LibC.Check(LibC.PRead(fd, buffer, offset), $"pread {path}");
                if (n == 0) break;
                sha.AppendData(buffer, 0, (int)n);
                offset += n;
            }
            return Convert.ToHexString(sha.GetHashAndReset())[..16];
        }
        finally { LibC.Close(fd); }
    }

    public static string Diff(List<string> expected, List<string> actual)
    {
        var sb = new StringBuilder();
        foreach (string l in expected.Except(actual)) sb.AppendLine("  only in plain: " + RandomOperations.Short(l));
        foreach (string l in actual.Except(expected)) sb.AppendLine("  only in mount: " + RandomOperations.Short(l));
        return sb.ToString();
    }
}
