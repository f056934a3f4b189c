using System.Text;

namespace CryptStack.Fuse;

/// <summary>One line of /proc/self/mountinfo.</summary>
public sealed record MountEntry(string Source, string MountPoint, string FsType, string Options, string Device);

/// <summary>The kernel's mount table, as this process sees it.</summary>
public static class MountTable
{
    public static IReadOnlyList<MountEntry> Read()
    {
        var list = new List<MountEntry>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            string[] f = line.Split(' ');
            int dash = Array.IndexOf(f, "-");
            if (f.Length < 6 || dash < 0 || dash + 2 >= f.Length) continue;
            list.Add(new MountEntry(Unescape(f[dash + 2]), Unescape(f[4]), f[dash + 1], f[5], f[2]));
        }
        return list;
    }

    public static MountEntry? Find(string mountPoint)
    {
        string full = Path.GetFullPath(mountPoint);
        if (full.Length > 1) full = full.TrimEnd('/');
        return Read().LastOrDefault(e => e.MountPoint == full);
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length)
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
