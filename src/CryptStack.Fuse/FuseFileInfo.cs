namespace CryptStack.Fuse;

/// <summary>What a request knows about an open file: the open(2) flags and the handle the filesystem chose.</summary>
public struct FuseFileInfo
{
    /// <summary>open(2) flags.</summary>
    public int Flags;
    /// <summary>File handle chosen by the filesystem at open/create/opendir.</summary>
    public ulong FileHandle;
    public ulong LockOwner;
    /// <summary>Reply flags (FOPEN_*): bypass the page cache for this open file.</summary>
    public bool DirectIo;
    /// <summary>Keep cached pages from earlier opens.</summary>
    public bool KeepCache;
    public bool NonSeekable;
    /// <summary>Let the kernel cache this directory's listing.</summary>
    public bool CacheReaddir;
    /// <summary>Set by a filesystem that wants the kernel to do this file's I/O on a backing file (FOPEN_PASSTHROUGH).</summary>
    public int BackingId;
    /// <summary>The write comes from the page cache (writeback), not from a caller's write(2).</summary>
    public bool WritePage;
}

/// <summary>A <see cref="FuseFileInfo"/> that may be absent (getattr and setattr without an open file).</summary>
public readonly unsafe ref struct FileInfoRef
{
    private readonly FuseFileInfo* _info;

    internal FileInfoRef(FuseFileInfo* info) => _info = info;

    public bool IsNull => _info == null;

    public ref FuseFileInfo Value
    {
        get
        {
            if (_info == null) throw new InvalidOperationException("no file info for this request");
            return ref *_info;
        }
    }
}
