using CryptStack.Crypto;
using CryptStack.Crypto.Content;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

/// <summary>The size map: plaintext size from ciphertext size by arithmetic alone (no header read per stat).</summary>
internal sealed class EncryptedSizeMap : ISizeMap
{
    public static EncryptedSizeMap Instance { get; } = new();
    public long UpperSize(long lowerSize) => ContentLayout.PlainSizeFromCipherSize(lowerSize);
}

/// <summary>
/// File contents through the content engine. All opens of one backing inode share one
/// <see cref="EncryptedNode"/> (one engine, one lock), so threads and processes on one file
/// never tear a block; byte-range locks on the backing file extend that to other mounts.
/// </summary>
internal sealed class EncryptedContentTransform(SecretKey headerKey, ILogger log, IDamageObserver damage, LockPolicy locks,
    SecretKey? previousHeaderKey = null) : IContentTransform
{
    private readonly Dictionary<(ulong Dev, ulong Ino), EncryptedNode> _nodes = new();

    // Blocks are read-modify-written, so the backing file is opened for reading even when the
    // caller only writes. O_APPEND is the kernel's job (it sends the offset) and would make
    // pwrite ignore our offsets; O_TRUNC arrives as a separate truncate (and so needs write access).
    // A read-only open stays read-only: ciphertext on read-only media, or files the daemon's user
    // may only read, must still be readable (a later writable open of the node brings its own fd).
    public int LowerOpenFlags(int upperFlags) =>
        (upperFlags & ~(Native.O_ACCMODE | Native.O_APPEND | Native.O_CREAT | Native.O_EXCL | Native.O_TRUNC | Native.O_NOCTTY | Native.O_DIRECT))
        | ((upperFlags & Native.O_ACCMODE) == Native.O_RDONLY && (upperFlags & Native.O_TRUNC) == 0 ? Native.O_RDONLY : Native.O_RDWR);

    public IFileContent Open(LowerFile file)
    {
        int rc = Native.FStat(file.Fd, out var st);
        if (rc < 0) throw new StackException(-rc, "fstat of a backing file failed");
        if (!Native.IsRegular(st.Mode))
        {
            // Only a regular file carries content; something else planted under a file's name is damage.
            string reason = $"backing entry is not a regular file (mode {Convert.ToString(st.Mode, 8)})";
            log.LogError("{UpperPath}: {Reason} (ciphertext {LowerPath})", file.UpperPath, reason, EncryptedNode.BackingPathOf(file.Fd));
            damage.Found(new DamageReport(DamageKind.FileContent, file.UpperPath, EncryptedNode.BackingPathOf(file.Fd), reason));
            throw new StackException(Errno.EIO, reason);
        }
        var key = (st.Dev, st.Ino);
        EncryptedNode? node;
        lock (_nodes)
        {
            if (_nodes.TryGetValue(key, out node))
            {
                node.Acquire(file);
                return new EncryptedFileContent(node, this, log, damage);
            }
            node = EncryptedNode.Open(key, file, headerKey, log, damage, locks, previousHeaderKey);
            _nodes.Add(key, node);
        }
        return new EncryptedFileContent(node, this, log, damage);
    }

    internal void Release(EncryptedNode node)
    {
        lock (_nodes)
        {
            if (!node.Release()) return;
            _nodes.Remove(node.Key);
        }
        node.Dispose();
    }
}

/// <summary>
/// One backing inode's engine, shared by all its opens. Reads run concurrently, each on an engine
/// instance of its own from a small pool (the engine is not thread-safe, and the kernel keeps
/// several readahead requests in flight); writes, truncates and fallocate take the node
/// exclusively. Across mounts the same split holds through an OFD lock on the backing file:
/// shared while any reader of this node is inside, exclusive for a writer.
/// </summary>
internal sealed class EncryptedNode : IDisposable
{
    private const int PooledReaders = 4;

    private readonly FdStore _store;
    private readonly SecretKey _headerKey;
    private readonly LockPolicy _locks;
    private readonly ReaderWriterLockSlim _rw = new(LockRecursionPolicy.NoRecursion);
    private readonly object _ofdGate = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<ContentFile> _readers = [];
    private int _ofdReaders;
    private int _refs = 1;
    private bool _writable;

    public (ulong Dev, ulong Ino) Key { get; }
    private ContentFile? _writer;

    /// <summary>
    /// The writers' engine, inside <see cref="EnterWrite"/>. Made on first use: a file only read
    /// (md5sum, cp from the mount) then costs one engine, the one that checked its header at open.
    /// </summary>
    public ContentFile Writer
    {
        get
        {
            if (_writer != null)
            {
                // Another host may have recreated the file (truncated to 0, new header) since this engine last ran.
                if (_locks.Shared) _writer.ReloadHeader();
                return _writer;
            }
            _writer = _readers.TryTake(out var pooled) ? pooled : ContentFile.Open(_store, _headerKey);
            if (_locks.Shared && pooled != null) _writer.ReloadHeader();
            return _writer;
        }
    }
    public string UpperPath { get; private set; }
    public int Fd => _store.Fd;

    private EncryptedNode((ulong, ulong) key, FdStore store, SecretKey headerKey, ContentFile first, string upperPath, bool writable, LockPolicy locks)
    {
        Key = key;
        _locks = locks;
        _store = store;
        _headerKey = headerKey;
        UpperPath = upperPath;
        _writable = writable;
        // The engine that checked the header at open serves the first reader, or the first writer of
        // a still empty file (which writes the header it invented).
        if (store.Length == 0) _writer = first;
        else _readers.Add(first);
    }

    public static EncryptedNode Open((ulong, ulong) key, LowerFile file, SecretKey headerKey, ILogger log, IDamageObserver damage, LockPolicy locks,
        SecretKey? previousHeaderKey = null)
    {
        // Our own descriptor: the opener's fd is closed at its release while others may still use the node.
        int fd = FdStore.Dup(file.Fd);
        if (fd < 0) throw new StackException(-fd, "dup failed");
        var store = new FdStore(fd);
        try
        {
            ContentFile content;
            try { content = ContentFile.Open(store, headerKey); }
            catch (ContentHeaderException) when (previousHeaderKey != null)
            {
                // A rekey is running: a header not rewrapped yet opens under the previous key (and the node keeps using it).
                try { content = ContentFile.Open(store, previousHeaderKey); }
                catch (ContentHeaderException) { throw; }
                headerKey = previousHeaderKey;
            }
            return new EncryptedNode(key, store, new SecretKey(headerKey.Span), content, file.UpperPath, IsWritable(file.Fd), locks);
        }
        catch (ContentIntegrityException e)
        {
            log.LogError("{UpperPath}: {Reason} (ciphertext {LowerPath})", file.UpperPath, e.Message, BackingPathOf(fd));
            damage.Found(new DamageReport(DamageKind.FileContent, file.UpperPath, BackingPathOf(fd), e.Message));
            Native.Close(fd);
            throw new StackException(Errno.EIO, e.Message);
        }
        catch
        {
            Native.Close(fd);
            throw;
        }
    }

    /// <summary>0, or -errno when the backing file's lock was refused and the mount needs it (then nothing is held).</summary>
    public int EnterRead()
    {
        _rw.EnterReadLock();
        lock (_ofdGate)
        {
            if (_ofdReaders == 0)
            {
                int rc = _locks.Check(Fcntl.LockWhole(Fd, write: false), UpperPath);
                if (rc < 0)
                {
                    _rw.ExitReadLock();
                    return rc;
                }
                // While this mount held no lock another host may have written: what this host cached is old.
                if (_locks.Shared) Fcntl.DropCachedPages(Fd);
            }
            _ofdReaders++;
        }
        return 0;
    }

    public void ExitRead()
    {
        lock (_ofdGate)
        {
            if (--_ofdReaders == 0) Fcntl.Unlock(Fd);
        }
        _rw.ExitReadLock();
    }

    /// <summary>0, or -errno when the backing file's lock was refused and the mount needs it (then nothing is held).</summary>
    public int EnterWrite()
    {
        _rw.EnterWriteLock();
        int rc = _locks.Check(Fcntl.LockWhole(Fd, write: true), UpperPath);
        if (rc < 0) _rw.ExitWriteLock();
        else if (_locks.Shared) Fcntl.DropCachedPages(Fd);
        return rc;
    }

    public void ExitWrite()
    {
        // The next host to take the lock must find the bytes on the storage, not in this host's
        // caches (GlusterFS's write-behind, the page cache of a network filesystem): flush first.
        if (_locks.Shared) Native.FDataSync(Fd);
        Fcntl.Unlock(Fd);
        _rw.ExitWriteLock();
    }

    /// <summary>An engine for one read, inside <see cref="EnterRead"/>; null when the file has no header yet (it reads as empty).</summary>
    public ContentFile? RentReader()
    {
        if (_readers.TryTake(out var reader))
        {
            if (_locks.Shared) reader.ReloadHeader();
            return reader;
        }
        // Before the first write there is no header to read the file key from: an engine made now
        // would invent a key of its own. Such a file is empty, and reads need no engine.
        if (_store.Length == 0) return null;
        return ContentFile.Open(_store, _headerKey);
    }

    public void ReturnReader(ContentFile reader)
    {
        if (_readers.Count < PooledReaders) _readers.Add(reader);
        else reader.Dispose();
    }

    /// <summary>Another open of the same inode; a writable descriptor replaces a read-only one.</summary>
    public void Acquire(LowerFile file)
    {
        // In-process exclusion only: waiting for another mount's lock here would hold up every open.
        _rw.EnterWriteLock();
        try
        {
            _refs++;
            UpperPath = file.UpperPath;
            if (_writable || !IsWritable(file.Fd)) return;
            int fd = FdStore.Dup(file.Fd);
            if (fd < 0) return;
            Native.Close(_store.Fd);
            _store.Replace(fd);
            _writable = true;
        }
        finally { _rw.ExitWriteLock(); }
    }

    /// <summary>True when this was the last reference.</summary>
    public bool Release()
    {
        _rw.EnterWriteLock();
        try { return --_refs == 0; }
        finally { _rw.ExitWriteLock(); }
    }

    private static bool IsWritable(int fd) => (Fcntl.GetFlags(fd) & Native.O_ACCMODE) != Native.O_RDONLY;

    public static string BackingPathOf(int fd)
    {
        try { return new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "?"; }
        catch (IOException) { return "?"; }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        while (_readers.TryTake(out var reader)) reader.Dispose();
        _headerKey.Dispose();
        _rw.Dispose();
        Native.Close(_store.Fd);
    }
}

/// <summary>
/// What a refused lock on a backing file means. With shared storage (several mounts of one ciphertext directory)
/// the lock is what keeps their read-modify-writes apart: the operation fails (ENOLCK) with a log line. A mount
/// that is the only user of its volume is already serialised by the node's own lock: it goes on, and says once
/// that the backing filesystem refuses locks.
/// </summary>
internal sealed class LockPolicy(bool required, ILogger log)
{
    /// <summary>-o shared: other hosts use the backing files, so a lock must also mean fresh bytes (EncryptedNode).</summary>
    public bool Shared => required;

    private int _warned;

    public int Check(int rc, string upperPath)
    {
        if (rc >= 0) return 0;
        if (required)
        {
            log.LogError("{UpperPath}: the backing filesystem refused the file lock that keeps other mounts' writers out ({Reason}); operation failed",
                upperPath, BackingLocks.Describe(-rc));
            return rc;
        }
        if (Interlocked.Exchange(ref _warned, 1) == 0)
            log.LogWarning("the backing filesystem refuses file locks ({Reason}); this mount goes on, but it must be the only one using this ciphertext directory",
                BackingLocks.Describe(-rc));
        return 0;
    }
}
