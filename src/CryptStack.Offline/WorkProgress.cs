namespace CryptStack.Offline;

/// <summary>Counters of one long job (restore now; fsck and rekey later), read by a progress display on another thread.</summary>
public sealed class WorkProgress
{
    private long _files, _bytes, _totalFiles = -1, _totalBytes = -1;

    /// <summary>Entries done (files, directories, links, special files).</summary>
    public long Files => Interlocked.Read(ref _files);
    /// <summary>Plaintext bytes done.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);
    /// <summary>-1 until counted.</summary>
    public long TotalFiles => Interlocked.Read(ref _totalFiles);
    /// <summary>-1 until counted.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    public void AddFile() => Interlocked.Increment(ref _files);
    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

    public void SetTotals(long files, long bytes)
    {
        Interlocked.Exchange(ref _totalFiles, files);
        Interlocked.Exchange(ref _totalBytes, bytes);
    }
}

/// <summary>Counts what a walk will meet: entries and the plaintext bytes of regular files (the totals of a progress display).</summary>
public sealed class TreeCounter : ITreeVisitor
{
    private readonly HashSet<(ulong, ulong)> _linked = [];

    public long Files { get; private set; }
    public long Bytes { get; private set; }

    public bool EnterDirectory(TreeEntry directory)
    {
        Files++;
        return true;
    }

    public void LeaveDirectory(TreeEntry directory) { }

    public void Visit(TreeEntry entry)
    {
        Files++;
        // A file with several links is copied once (the others become links).
        if (entry.IsRegular && (entry.Attr.NLink <= 1 || _linked.Add((entry.Attr.Dev, entry.Attr.Ino)))) Bytes += entry.Attr.Size;
    }

    public void Damaged(string plainPath, string? cipherPath, Encryption.DamageKind kind, string reason) { }
}
