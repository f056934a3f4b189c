using System.Text;

namespace CryptStack.Fuse;

/// <summary>How a filesystem is mounted: the kernel mount options and the cache settings the replies carry.</summary>
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
    /// <summary>Keep cached pages across opens unless mtime or size changed (FOPEN_KEEP_CACHE with FUSE_AUTO_INVAL_DATA).</summary>
    public bool AutoCache { get; init; } = true;
    /// <summary>Bypass the page cache for every file (shared writable mmap still works: FUSE_DIRECT_IO_ALLOW_MMAP).</summary>
    public bool DirectIo { get; init; }
    /// <summary>Upper bound on worker threads; the session runs one per core within it (more lost here: docs/fuse-binding.md).</summary>
    public uint MaxThreads { get; init; } = 16;
    /// <summary>How requests travel. /dev/fuse by default: the io_uring transport crashed once with several
    /// mounts in one test process (docs/fuse-binding.md, "Transports"); -o transport=auto or uring asks for it.</summary>
    public FuseTransport Transport { get; init; } = FuseTransport.DevFuse;
    /// <summary>Let the kernel do reads, writes and mmap on the backing file when the filesystem offers it (<see cref="IFusePassthrough"/>; needs root).</summary>
    public bool Passthrough { get; init; }
    /// <summary>With a debug request log: also print names (plaintext file names; off by default).</summary>
    public bool LogNames { get; init; }
    /// <summary>Mount through fusermount3 even as root (the path every other user takes; tests use it).</summary>
    public bool UseFusermount { get; init; }
    /// <summary>Further generic mount flags (nosuid, noexec, noatime, ...), applied as mount(2) flags or passed to fusermount3.</summary>
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

    // fusermount3 splits -o on commas; a backslash escapes the next character.
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

/// <summary>The channel requests and replies travel on (docs/fuse-binding.md, "Transports").</summary>
public enum FuseTransport
{
    /// <summary>io_uring when the kernel offers FUSE_OVER_IO_URING, /dev/fuse otherwise.</summary>
    Auto,
    /// <summary>Always /dev/fuse, one cloned descriptor per worker.</summary>
    DevFuse,
    /// <summary>io_uring; falls back to /dev/fuse (with a log line) when the kernel does not offer it.</summary>
    IoUring,
}
