using System.Text;

namespace CryptStack.Fuse;

/// <summary>How a filesystem is mounted: the kernel mount options and libfuse's cache settings.</summary>
public sealed record MountOptions
{
    /// <summary>First column of /proc/mounts: the backing directory, so `mount` shows what is mounted.</summary>
    public string FsName { get; init; } = "cryptstack";
    /// <summary>Mount type becomes fuse.&lt;subtype&gt;.</summary>
    public string Subtype { get; init; } = "cryptstack";
    public bool ReadOnly { get; init; }
    /// <summary>Let other users in; permission checks stay the kernel's (default_permissions).</summary>
    public bool AllowOther { get; init; }
    public bool DefaultPermissions { get; init; } = true;
    /// <summary>Seconds the kernel may cache attributes and lookups; 0 for storage shared with other hosts.</summary>
    public double AttrTimeout { get; init; } = 1.0;
    public double EntryTimeout { get; init; } = 1.0;
    public double NegativeTimeout { get; init; }
    /// <summary>Keep cached pages across opens unless mtime or size changed (libfuse auto_cache).</summary>
    public bool AutoCache { get; init; } = true;
    /// <summary>Bypass the page cache for every file (breaks shared writable mmap on libfuse 3.14).</summary>
    public bool DirectIo { get; init; }
    public uint MaxThreads { get; init; } = 16;
    /// <summary>Further raw -o options, passed to libfuse as they are.</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    internal string ToOptionString()
    {
        var parts = new List<string>
        {
            "fsname=" + Escape(FsName),
            "subtype=" + Escape(Subtype),
        };
        if (DefaultPermissions) parts.Add("default_permissions");
        if (AllowOther) parts.Add("allow_other");
        if (ReadOnly) parts.Add("ro");
        parts.AddRange(Extra);
        return string.Join(',', parts);
    }

    // libfuse splits -o on commas; a backslash escapes the next character.
    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            if (c is ',' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
