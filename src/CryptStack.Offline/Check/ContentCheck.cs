using CryptStack.Crypto.Content;
using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Check;

/// <summary>
/// File contents (format-content.md): the size of every backing file is one a writer produces; the header opens;
/// every block authenticates, holes are vouched for by the next data block, and the last block is sealed as final.
/// Each file is read through the encryption layer, as the mount reads it; a file with several links once.
/// </summary>
public sealed class ContentCheck : IVolumeCheck
{
    private const int ChunkSize = 1 << 20;
    private const int Block = ContentLayout.PlainBlockSize;

    private readonly byte[] _buffer = new byte[ChunkSize];
    private readonly HashSet<(ulong, ulong)> _seen = [];

    public string Area => "content";

    public void Entry(CheckContext context, TreeEntry entry, string cipherPath)
    {
        if (!entry.IsRegular) return;
        if (entry.Attr.NLink > 1 && !_seen.Add((entry.Attr.Dev, entry.Attr.Ino))) return;
        var problems = new List<string>();
        long cipherSize = BackingDirectory.LStat(cipherPath).Size;
        if (ContentLayout.IsCipherSizeDamaged(cipherSize))
        {
            problems.Add(cipherSize < ContentLayout.HeaderSize
                ? $"the ciphertext is {cipherSize} bytes, shorter than a header ({ContentLayout.HeaderSize}): cut off"
                : $"the ciphertext size {cipherSize} is impossible (its last block is {ContentLayout.LastStoredBlockSize(cipherSize)} bytes, too short to hold a tag): cut off");
        }
        var volume = context.Volume;
        int mark = volume.Damage.Count;
        var bad = new List<(long From, long To)>();
        int errno = Verify(context, entry, bad);
        var reasons = volume.Damage.Since(mark).Select(d => d.Reason).Distinct().ToList();
        if (errno != 0 && bad.Count == 0)
            problems.Add(reasons.Count > 0 ? $"cannot be opened: {string.Join("; ", reasons)}" : $"cannot be read (errno {-errno})");
        else if (bad.Count > 0)
        {
            string ranges = string.Join(", ", bad.Select(r => r.To < 0 ? $"the end after byte {r.From}" : $"bytes {r.From}..{r.To - 1}"));
            problems.Add($"damaged content ({ranges}): {(reasons.Count > 0 ? string.Join("; ", reasons.Take(3)) : "does not authenticate")}" +
                         (reasons.Count > 3 ? $"; and {reasons.Count - 3} more" : ""));
        }
        if (problems.Count > 0) context.Report(Area, entry.PlainPath, cipherPath, string.Join("; ", problems.Distinct()));
    }

    /// <summary>Reads the whole file; bad ranges (To = -1: a damaged end) into <paramref name="bad"/>; 0 or -errno of a failed open.</summary>
    private int Verify(CheckContext context, TreeEntry entry, List<(long From, long To)> bad)
    {
        var stack = context.Volume.Stack;
        var fi = new FuseFileInfo { Flags = Native.O_RDONLY };
        int rc = stack.Open(entry.Node, ref fi);
        if (rc < 0) return rc;
        try
        {
            long size = entry.Attr.Size;
            for (long offset = 0; offset < size;)
            {
                int want = (int)Math.Min(ChunkSize, size - offset);
                int n = stack.Read(entry.Node, _buffer.AsSpan(0, want), offset, ref fi);
                if (n < 0)
                {
                    // Again block by block, to name the bad ones.
                    for (long at = offset; at < offset + want; at += Block)
                    {
                        int length = (int)Math.Min(Block, offset + want - at);
                        if (stack.Read(entry.Node, _buffer.AsSpan(0, length), at, ref fi) >= 0) continue;
                        if (bad.Count > 0 && bad[^1].To == at) bad[^1] = (bad[^1].From, at + length);
                        else bad.Add((at, at + length));
                    }
                    n = want;
                }
                else if (n == 0) break;
                context.Progress.AddBytes(n);
                offset += n;
            }
            // The read past the end checks the file's end: a cut inside the last block shows only there.
            if (stack.Read(entry.Node, _buffer.AsSpan(0, 1), size, ref fi) < 0) bad.Add((size, -1));
            return 0;
        }
        finally { stack.Release(entry.Node, ref fi); }
    }
}
