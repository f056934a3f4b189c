using CryptStack.Crypto.Content;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Restore;

/// <summary>A plaintext byte range that could not be read; <see cref="Length"/> 0 marks a damaged end of file.</summary>
public readonly record struct BadRange(long Offset, long Length)
{
    public override string ToString() => Length == 0 ? $"the end after byte {Offset}" : $"bytes {Offset}..{Offset + Length - 1}";
}

/// <summary>How one file's content copy went.</summary>
internal readonly record struct CopyResult(int Errno, IReadOnlyList<BadRange> BadRanges)
{
    public bool Complete => Errno == 0 && BadRanges.Count == 0;
}

/// <summary>
/// Copies one file's plaintext from the volume to a destination fd: only the data the volume has (holes, by
/// SEEK_DATA/SEEK_HOLE, stay holes: the destination is sized first and never written there). A damaged block
/// stops the copy, or, when salvaging, is read around block by block: the bad ranges stay zero (unwritten) and
/// are listed.
/// </summary>
internal sealed class ContentCopier(OfflineVolume volume, WorkProgress progress)
{
    private const int ChunkSize = 1 << 20;
    private const int Block = ContentLayout.PlainBlockSize;
    private readonly byte[] _buffer = new byte[ChunkSize];

    public CopyResult Copy(ulong node, long size, int destFd, bool salvage)
    {
        var fi = new FuseFileInfo { Flags = Native.O_RDONLY };
        int rc = volume.Stack.Open(node, ref fi);
        if (rc < 0) return new CopyResult(rc, []);
        var bad = new List<BadRange>();
        try
        {
            rc = Native.FTruncate(destFd, size);
            if (rc < 0) return new CopyResult(rc, bad);
            for (long position = 0; position < size;)
            {
                long data = volume.Stack.LSeek(node, position, Native.SEEK_DATA, ref fi);
                if (data == -Errno.ENXIO) data = size;
                // Where the volume cannot say, everything is data: reading decides.
                if (data < 0) data = position;
                // A hole is done as soon as it is skipped (the destination was sized to include it).
                progress.AddBytes(data - position);
                if (data >= size) break;
                long hole = volume.Stack.LSeek(node, data, Native.SEEK_HOLE, ref fi);
                if (hole < 0 || hole > size) hole = size;
                if (hole <= data) hole = Math.Min(size, data + Block);
                rc = CopyRange(node, ref fi, data, hole, destFd, salvage, bad);
                if (rc < 0) return new CopyResult(rc, bad);
                position = hole;
            }
            // The read past the end checks the file's end: a cut inside the last block shows only there.
            int end = volume.Stack.Read(node, _buffer.AsSpan(0, 1), size, ref fi);
            if (end == -Errno.EIO)
            {
                if (!salvage) return new CopyResult(end, bad);
                bad.Add(new BadRange(size, 0));
            }
            return new CopyResult(0, bad);
        }
        finally { volume.Stack.Release(node, ref fi); }
    }

    private int CopyRange(ulong node, ref FuseFileInfo fi, long from, long to, int destFd, bool salvage, List<BadRange> bad)
    {
        for (long offset = from; offset < to;)
        {
            int want = (int)Math.Min(ChunkSize, to - offset);
            int n = volume.Stack.Read(node, _buffer.AsSpan(0, want), offset, ref fi);
            if (n == -Errno.EIO && salvage)
            {
                n = SalvageChunk(node, ref fi, offset, want, destFd, bad);
                if (n < 0) return n;
            }
            else if (n < 0) return n;
            else
            {
                if (n == 0) return 0;
                int w = BackingIo.WriteFully(destFd, _buffer.AsSpan(0, n), offset);
                if (w < 0) return w;
                if (w < n) return -Errno.ENOSPC;
            }
            progress.AddBytes(n);
            offset += n;
        }
        return 0;
    }

    /// <summary>The chunk at <paramref name="offset"/> again, block by block; bad blocks are recorded (merged with a bad block just before).</summary>
    private int SalvageChunk(ulong node, ref FuseFileInfo fi, long offset, int length, int destFd, List<BadRange> bad)
    {
        int done = 0;
        while (done < length)
        {
            long at = offset + done;
            int want = (int)Math.Min(Block - at % Block, length - done);
            int n = volume.Stack.Read(node, _buffer.AsSpan(0, want), at, ref fi);
            if (n == -Errno.EIO)
            {
                if (bad.Count > 0 && bad[^1].Offset + bad[^1].Length == at) bad[^1] = bad[^1] with { Length = bad[^1].Length + want };
                else bad.Add(new BadRange(at, want));
                n = want;
            }
            else if (n < 0) return n;
            else if (n == 0) break;
            else
            {
                int w = BackingIo.WriteFully(destFd, _buffer.AsSpan(0, n), at);
                if (w < 0) return w;
                if (w < n) return -Errno.ENOSPC;
            }
            done += n;
        }
        return done;
    }
}
