using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Content;

/// <summary>
/// The plaintext view of one encrypted backing file, with the semantics of a plain file: short reads at the
/// end, writes past the end leave a hole, truncate up and down anywhere, punch and zero ranges, SEEK_DATA and
/// SEEK_HOLE. Format: docs/format-content.md.
/// </summary>
/// <remarks>
/// Not thread-safe: it owns one <see cref="AesGcm"/> and scratch buffers. The mount layer calls it under a
/// per-file lock (and a byte-range lock on the backing file when several hosts share it).
/// The length is read from the store at the start of each call, so a file changed by another writer
/// between calls is seen as it is; call <see cref="ReloadHeader"/> when another host may have recreated it.
/// </remarks>
public sealed class ContentFile : IDisposable
{
    /// <summary>Blocks per store call: 256 KiB of plaintext, more than one FUSE request.</summary>
    private const int MaxChunkBlocks = 64;

    /// <summary>Blocks read at a time when walking a run of all-zero blocks that the backing file stores as data.</summary>
    private const int MaxScanBlocks = 16;

    private readonly IRandomAccessStore _store;
    private readonly byte[] _header = new byte[HeaderSize];
    private readonly byte[] _stored = new byte[CipherBlockSize];
    private readonly byte[] _firstPlain = new byte[PlainBlockSize];
    private readonly byte[] _lastPlain = new byte[PlainBlockSize];
    private readonly byte[] _assembled = new byte[PlainBlockSize];
    private readonly byte[] _nextDataPlain = new byte[PlainBlockSize];
    private readonly byte[] _savedTail = new byte[CipherBlockSize];
    private SecretKey _headerKey;
    private ContentBlockCipher _cipher;
    private bool _headerOnDisk;
    // Whether a stored block has authenticated under the current header (file key and id). Until one has, the
    // header may be another file's, copied over this one's: nothing is written under it (header poisoning,
    // the gocryptfs audit's section 2.2).
    private bool _headerVouched;
    private bool _punchUnsupported;
    private bool _disposed;

    // The first data block at or after _nextDataFrom in the current call's view of the file, verified,
    // with its plaintext in _nextDataPlain. Valid only within one public call.
    private bool _nextDataValid;
    private long _nextDataFrom;
    private long _nextDataIndex;
    private long _nextDataHolesBefore;
    private int _nextDataPlainLength;

    private ContentFile(IRandomAccessStore store, SecretKey headerKey, ContentBlockCipher cipher, ReadOnlySpan<byte> header, bool headerOnDisk)
    {
        _store = store;
        _headerKey = new SecretKey(headerKey.Span);
        _cipher = cipher;
        header.CopyTo(_header);
        _headerOnDisk = headerOnDisk;
    }

    /// <summary>
    /// A new, empty file on an empty store. The header (fresh file id and file key) is written with the first data,
    /// so an empty plaintext file stays a 0-byte backing file.
    /// </summary>
    public static ContentFile Create(IRandomAccessStore store, SecretKey headerKey)
    {
        long length = store.Length;
        if (length != 0) throw new IOException($"cannot create a content file on a store of {length} bytes; it must be empty");
        return CreateFresh(store, headerKey);
    }

    /// <summary>Opens an existing file; an empty store opens as an empty file, as with <see cref="Create"/>.</summary>
    /// <exception cref="ContentHeaderException">The header is partial, of another format, damaged, or not for this key.</exception>
    public static ContentFile Open(IRandomAccessStore store, SecretKey headerKey)
    {
        long length = store.Length;
        if (length == 0) return CreateFresh(store, headerKey);
        Span<byte> header = stackalloc byte[HeaderSize];
        ReadHeader(store, length, header);
        Span<byte> fileId = stackalloc byte[ContentHeader.FileIdSize];
        using SecretKey fileKey = ContentHeader.Open(header, headerKey, fileId);
        return new ContentFile(store, headerKey, new ContentBlockCipher(fileKey, fileId), header, headerOnDisk: true);
    }

    /// <summary>
    /// Rewraps a stored header under <paramref name="newHeaderKey"/> (master-key rotation), keeping file key and id,
    /// so no block changes. An empty store has no header and is left as it is.
    /// </summary>
    public static void RewrapHeader(IRandomAccessStore store, SecretKey oldHeaderKey, SecretKey newHeaderKey)
    {
        long length = store.Length;
        if (length == 0) return;
        Span<byte> header = stackalloc byte[HeaderSize];
        ReadHeader(store, length, header);
        Span<byte> rewrapped = stackalloc byte[HeaderSize];
        ContentHeader.Rewrap(header, oldHeaderKey, newHeaderKey, rewrapped);
        store.WriteAt(rewrapped, 0);
    }

    private static ContentFile CreateFresh(IRandomAccessStore store, SecretKey headerKey)
    {
        Span<byte> fileId = stackalloc byte[ContentHeader.FileIdSize];
        RandomNumberGenerator.Fill(fileId);
        using SecretKey fileKey = SecretKey.Random(ContentHeader.FileKeySize);
        Span<byte> header = stackalloc byte[HeaderSize];
        ContentHeader.Write(headerKey, fileId, fileKey.Span, header);
        return new ContentFile(store, headerKey, new ContentBlockCipher(fileKey, fileId), header, headerOnDisk: false);
    }

    private static void ReadHeader(IRandomAccessStore store, long length, Span<byte> header)
    {
        if (length < HeaderSize)
            throw new ContentHeaderException($"backing file is {length} bytes, shorter than the {HeaderSize}-byte header");
        if (store.ReadAt(header, 0) != HeaderSize)
            throw new ContentHeaderException("backing file shrank while its header was read");
    }

    public ReadOnlySpan<byte> FileId => _cipher.FileId;

    /// <summary>The plaintext length, from the backing length alone.</summary>
    public long PlainLength => PlainSizeFromCipherSize(_store.Length);

    /// <summary>
    /// Re-reads the header if the store has one; adopts it (file key and id) if another writer replaced it.
    /// For stores shared between hosts, where a file can be recreated behind this instance.
    /// </summary>
    public void ReloadHeader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long length = _store.Length;
        if (length == 0) { _headerOnDisk = false; return; }
        AdoptStoredHeader(length);
    }

    /// <summary>Rewraps this file's header under <paramref name="newHeaderKey"/> and keeps using the new key.</summary>
    public void RewrapHeader(SecretKey newHeaderKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Snapshot s = BeginCall();
        Span<byte> rewrapped = stackalloc byte[HeaderSize];
        ContentHeader.Rewrap(_header, _headerKey, newHeaderKey, rewrapped);
        if (s.CipherLength > 0) _store.WriteAt(rewrapped, 0);
        rewrapped.CopyTo(_header);
        _headerKey.Dispose();
        _headerKey = new SecretKey(newHeaderKey.Span);
    }

    private void AdoptStoredHeader(long length)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        ReadHeader(_store, length, header);
        if (!header.SequenceEqual(_header))
        {
            Span<byte> fileId = stackalloc byte[ContentHeader.FileIdSize];
            using SecretKey fileKey = ContentHeader.Open(header, _headerKey, fileId);
            var cipher = new ContentBlockCipher(fileKey, fileId);
            _cipher.Dispose();
            _cipher = cipher;
            header.CopyTo(_header);
            _headerVouched = false;
        }
        _headerOnDisk = true;
    }

    // ---------------------------------------------------------------- reading

    /// <summary>Reads up to destination.Length bytes at <paramref name="offset"/>; fewer only at the end of the file.</summary>
    /// <exception cref="ContentIntegrityException">A block the read touches is damaged; other blocks stay readable.</exception>
    public int Read(Span<byte> destination, long offset)
    {
        try { return ReadOnce(destination, offset); }
        catch (ContentIntegrityException) when (StoredHeaderChanged())
        {
            // Another writer gave the file a fresh header (a truncate to 0 and a rewrite) since this engine read it.
            return ReadOnce(destination, offset);
        }
    }

    private int ReadOnce(Span<byte> destination, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Snapshot s = BeginCall();
        if (destination.IsEmpty) return 0;
        if (offset >= s.PlainLength)
        {
            s.ThrowIfTailDamaged();
            return 0;
        }
        int count = (int)Math.Min(destination.Length, s.PlainLength - offset);
        if (count < destination.Length) s.ThrowIfTailDamaged();

        long first = BlockIndexOf(offset);
        long last = BlockIndexOf(offset + count - 1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(last - first + 1, MaxChunkBlocks) * CipherBlockSize);
        try
        {
            int done = 0;
            for (long chunkFirst = first; chunkFirst <= last; chunkFirst += MaxChunkBlocks)
            {
                long chunkLast = Math.Min(last, chunkFirst + MaxChunkBlocks - 1);
                long cipherStart = CipherOffsetOfBlock(chunkFirst);
                int cipherLength = (int)(Math.Min(CipherOffsetOfBlock(chunkLast + 1), s.CipherLength) - cipherStart);
                ReadExactly(buffer.AsSpan(0, cipherLength), cipherStart, chunkFirst);

                for (long i = chunkFirst; i <= chunkLast; i++)
                {
                    var stored = buffer.AsSpan((int)(i - chunkFirst) * CipherBlockSize, StoredLengthOfBlock(i, s.CipherLength));
                    long blockStart = PlainOffsetOfBlock(i);
                    int from = (int)Math.Max(0, offset - blockStart);
                    int to = (int)Math.Min(PlainLengthOfBlock(i, s.PlainLength), offset + count - blockStart);
                    Span<byte> target = destination.Slice(done, to - from);
                    if (s.IsHoleCandidate(i, stored))
                    {
                        VerifyHole(i, s);
                        target.Clear();
                    }
                    else if (from == 0 && target.Length == stored.Length - BlockOverhead)
                    {
                        _cipher.Open(i, i == s.LastIndex, stored, target);
                        _headerVouched = true;
                    }
                    else
                    {
                        _cipher.Open(i, i == s.LastIndex, stored, _assembled);
                        _headerVouched = true;
                        _assembled.AsSpan(from, target.Length).CopyTo(target);
                    }
                    done += target.Length;
                }
            }
            Debug.Assert(done == count);
            return count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The first offset at or after <paramref name="offset"/> that is not in a hole, or -1 at or past the end (ENXIO).</summary>
    public long SeekData(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Snapshot s = BeginCall();
        if (offset >= s.PlainLength) return -1;
        long i = BlockIndexOf(offset);
        long plainLast = BlockCountOfPlainSize(s.PlainLength) - 1;
        while (i < plainLast && PeekIsHoleCandidate(i, s))
        {
            long data = _store.SeekData(CipherOffsetOfBlock(i + 1));
            i = data < 0 ? plainLast : Math.Max(i + 1, Math.Min(plainLast, BlockIndexOfCipherOffset(data)));
        }
        return Math.Max(offset, PlainOffsetOfBlock(i));
    }

    /// <summary>
    /// The first offset at or after <paramref name="offset"/> in a hole, the end of file counting as one, or -1 at or past
    /// the end (ENXIO). Holes are reported at block granularity where the backing file has them; like lseek(2) this may
    /// report less than every hole, never a hole where there is data.
    /// </summary>
    public long SeekHole(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Snapshot s = BeginCall();
        if (offset >= s.PlainLength) return -1;
        long i = BlockIndexOf(offset);
        long plainLast = BlockCountOfPlainSize(s.PlainLength) - 1;
        while (i < plainLast)
        {
            if (PeekIsHoleCandidate(i, s)) return Math.Max(offset, PlainOffsetOfBlock(i));
            long hole = _store.SeekHole(CipherOffsetOfBlock(i + 1));
            if (hole < 0 || hole >= s.CipherLength) break;
            // The block where the backing hole starts may be all zeros too (its head in a page the hole misses).
            i = Math.Max(i + 1, BlockIndexOfCipherOffset(hole));
        }
        return s.PlainLength;
    }

    // ---------------------------------------------------------------- writing

    /// <summary>Writes all of <paramref name="source"/> at <paramref name="offset"/>; a gap after the old end becomes a hole.</summary>
    public void Write(ReadOnlySpan<byte> source, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Snapshot s = BeginMutation();
        if (source.IsEmpty) return;
        s.ThrowIfTailDamaged();
        long end = offset + source.Length;
        CheckSize(end);
        long oldLength = s.PlainLength;
        long newLength = Math.Max(oldLength, end);
        if (offset > oldLength)
            Rewrite(s, newLength, coverStart: oldLength, coverEnd: end, holeStart: oldLength, holeEnd: offset, source, offset);
        else
            Rewrite(s, newLength, coverStart: offset, coverEnd: end, holeStart: 0, holeEnd: 0, source, offset);
    }

    /// <summary>Truncates or extends (with a hole) to <paramref name="length"/> plaintext bytes.</summary>
    public void SetLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        CheckSize(length);
        if (length == 0)
        {
            // Down to 0 bytes, header and all: the next write starts a fresh file (new id, new key), so nothing
            // written before, and no header planted here, carries over to the new content.
            Snapshot s0 = BeginCall();
            if (s0.CipherLength != 0) _store.SetLength(0);
            _headerOnDisk = false;
            _headerVouched = false;
            return;
        }
        Snapshot s = BeginMutation();
        long oldLength = s.PlainLength;
        if (length > oldLength) s.ThrowIfTailDamaged();
        if (length == oldLength && !s.TailDamaged) return;
        if (length > oldLength)
            Rewrite(s, length, coverStart: oldLength, coverEnd: length, holeStart: oldLength, holeEnd: length, default, 0);
        else
            Rewrite(s, length, coverStart: 0, coverEnd: 0, holeStart: 0, holeEnd: 0, default, 0);
    }

    /// <summary>Deallocates a range (fallocate PUNCH_HOLE|KEEP_SIZE): it reads as zeros; the length does not change.</summary>
    public void PunchHole(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Snapshot s = BeginMutation();
        long end = offset + Math.Min(length, s.PlainLength);
        end = end < 0 ? s.PlainLength : Math.Min(end, s.PlainLength);
        if (offset >= end) return;
        s.ThrowIfTailDamaged();
        Rewrite(s, s.PlainLength, coverStart: offset, coverEnd: end, holeStart: offset, holeEnd: end, default, 0);
    }

    /// <summary>
    /// Zeroes a range (fallocate ZERO_RANGE), whole blocks becoming holes. Without <paramref name="keepSize"/> a range
    /// past the end extends the file.
    /// </summary>
    public void ZeroRange(long offset, long length, bool keepSize = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Snapshot s = BeginMutation();
        long oldLength = s.PlainLength;
        long end = offset + Math.Min(length, MaxPlainSize);
        if (keepSize) end = Math.Min(end, oldLength);
        else CheckSize(end);
        if (offset >= end) return;
        s.ThrowIfTailDamaged();
        long start = end > oldLength ? Math.Min(offset, oldLength) : offset;
        Rewrite(s, Math.Max(oldLength, end), coverStart: start, coverEnd: end, holeStart: start, holeEnd: end, default, 0);
    }

    private static void CheckSize(long end)
    {
        if (end < 0 || end > MaxPlainSize)
            throw new ArgumentOutOfRangeException(nameof(end), end, $"a content file holds at most {MaxPlainSize} bytes");
    }

    /// <summary>
    /// The one mutation: the file becomes <paramref name="newLength"/> bytes long; bytes in [coverStart, coverEnd) become
    /// <paramref name="data"/> where it lies (at <paramref name="dataOffset"/>) and zeros elsewhere; whole blocks inside
    /// [holeStart, holeEnd) other than the last become holes; every other byte keeps its value.
    /// Every byte at or past the old end lies in the cover, so only the first and last rewritten blocks need their old content.
    /// </summary>
    private void Rewrite(Snapshot s, long newLength, long coverStart, long coverEnd, long holeStart, long holeEnd,
        ReadOnlySpan<byte> data, long dataOffset)
    {
        long oldLength = s.PlainLength;
        long oldLast = BlockCountOfPlainSize(oldLength) - 1;
        long newLast = BlockCountOfPlainSize(newLength) - 1;
        Debug.Assert(newLast >= 0);

        // The blocks to reseal: those the cover touches, the old last block when it stops being last or changes
        // length, and the new last block.
        long first = long.MaxValue, last = -1;
        if (coverEnd > coverStart)
        {
            first = BlockIndexOf(coverStart);
            last = Math.Min(BlockIndexOf(coverEnd - 1), newLast);
        }
        if (newLength != oldLength || s.TailDamaged)
        {
            if (oldLast >= 0 && oldLast <= newLast) { first = Math.Min(first, oldLast); last = Math.Max(last, oldLast); }
            first = Math.Min(first, newLast);
            last = Math.Max(last, newLast);
        }
        if (last < first) return;

        // Whole blocks that become holes: one contiguous run [holeFirst, holeLast], never the last block.
        long holeFirst = Math.Max(first, (holeStart + PlainBlockSize - 1) / PlainBlockSize);
        long holeLast = Math.Min(Math.Min(last, newLast - 1), holeEnd / PlainBlockSize - 1);
        bool anyHole = holeFirst <= holeLast;
        bool IsNewHole(long i) => anyHole && i >= holeFirst && i <= holeLast;
        bool NeedsOld(long i)
        {
            if (IsNewHole(i)) return false;
            long start = PlainOffsetOfBlock(i);
            return !(start >= coverStart && start + PlainLengthOfBlock(i, newLength) <= coverEnd);
        }

        // --- Everything that depends on the old content is read before anything is written.
        int firstOldLength = 0, lastOldLength = 0;
        bool firstWasHole = false, lastWasHole = false;
        long firstOldHoles = -1;
        if (NeedsOld(first)) firstOldHoles = ReadOldBlock(first, s, _firstPlain, out firstOldLength, out firstWasHole);
        if (last != first && NeedsOld(last)) ReadOldBlock(last, s, _lastPlain, out lastOldLength, out lastWasHole);
        else if (last == first) { lastOldLength = firstOldLength; lastWasHole = firstWasHole; }
        Debug.Assert(last - first < 2 || (!NeedsOld(first + 1) && !NeedsOld(last - 1)));

        // Holes immediately before `first`, needed when the first data block of the range, or the run the range
        // ends with, continues that run.
        bool leadMatters = !IsNewHole(first) || holeLast < last || last < newLast;
        long leadHoles = 0;
        if (leadMatters && first > 0)
            leadHoles = firstOldHoles >= 0 ? firstOldHoles : HolesBefore(first, s);

        // The first data block after the range counts the holes before it; reseal it if that count changes
        // (writing into a hole shrinks the run, punching grows it). Without this a zeroed block would pass as a hole.
        long trailIndex = -1, trailHoles = 0;
        int trailLength = 0;
        if (last < newLast)
        {
            bool lastOldHole = NeedsOld(last) ? lastWasHole : PeekIsHoleCandidate(last, s);
            if (lastOldHole || IsNewHole(last))
            {
                (long j, long oldHoles) = FindNextData(last + 1, s);
                if (j > last + 1 && j - oldHoles > last + 1)
                    throw ZeroedBlock(last + 1);
                long runAtLast = IsNewHole(last) ? last - holeFirst + 1 + (holeFirst == first ? leadHoles : 0) : 0;
                long newHoles = j - last - 1 + runAtLast;
                if (newHoles != oldHoles)
                {
                    trailIndex = j;
                    trailHoles = newHoles;
                    trailLength = _nextDataPlainLength;
                }
            }
        }

        // --- Write.
        long newCipherLength = CipherSizeFromPlainSize(newLength);
        // Growing reseals the old last block as not-last before the new last block exists. If the backing
        // filesystem then refuses the new end (EFBIG, ENOSPC), put the old end back, so a failed extension
        // leaves the file as it was instead of cut off.
        bool growing = newLength > oldLength;
        int savedTailLength = 0;
        if (growing && oldLast >= 0)
            savedTailLength = _store.ReadAt(_savedTail.AsSpan(0, StoredLengthOfBlock(oldLast, s.CipherLength)), CipherOffsetOfBlock(oldLast));
        try
        {
            if (s.CipherLength <= HeaderSize)
            {
                // The first block of a file with none: a header found here (header-only file) authenticates no
                // block and may be another file's; the content starts under a fresh id and key instead.
                StartFreshHeader();
                _store.WriteAt(_header, 0);
                _headerOnDisk = true;
                _headerVouched = true;
            }
            if (newCipherLength < s.CipherLength) _store.SetLength(newCipherLength);

            WriteDataBlocks(first, anyHole ? holeFirst - 1 : last, leadHoles, data);
            if (anyHole)
            {
                PunchBlocks(holeFirst, holeLast, s.CipherLength);
                WriteDataBlocks(holeLast + 1, last, holeLast - holeFirst + 1 + (holeFirst == first ? leadHoles : 0), data);
            }
            if (trailIndex >= 0)
            {
                _cipher.Seal(trailIndex, trailHoles, trailIndex == newLast, _nextDataPlain.AsSpan(0, trailLength), _stored);
                _store.WriteAt(_stored.AsSpan(0, trailLength + BlockOverhead), CipherOffsetOfBlock(trailIndex));
            }
        }
        catch (IOException) when (growing)
        {
            try
            {
                _store.SetLength(s.CipherLength);
                if (savedTailLength > 0) _store.WriteAt(_savedTail.AsSpan(0, savedTailLength), CipherOffsetOfBlock(oldLast));
            }
            catch (IOException)
            {
                // The store refuses even the repair: the original error is the one to report.
            }
            throw;
        }

        void WriteDataBlocks(long from, long to, long holesBeforeFrom, ReadOnlySpan<byte> data)
        {
            if (from > to) return;
            byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(to - from + 1, MaxChunkBlocks) * CipherBlockSize);
            try
            {
                for (long chunkFirst = from; chunkFirst <= to; chunkFirst += MaxChunkBlocks)
                {
                    long chunkLast = Math.Min(to, chunkFirst + MaxChunkBlocks - 1);
                    int used = 0;
                    for (long i = chunkFirst; i <= chunkLast; i++)
                    {
                        ReadOnlySpan<byte> plain = NewPlaintext(i, data);
                        _cipher.Seal(i, i == from ? holesBeforeFrom : 0, i == newLast, plain, buffer.AsSpan(used));
                        used += plain.Length + BlockOverhead;
                    }
                    _store.WriteAt(buffer.AsSpan(0, used), CipherOffsetOfBlock(chunkFirst));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        ReadOnlySpan<byte> NewPlaintext(long i, ReadOnlySpan<byte> data)
        {
            long start = PlainOffsetOfBlock(i);
            int length = PlainLengthOfBlock(i, newLength);
            long dataEnd = dataOffset + data.Length;
            if (!NeedsOld(i) && start >= dataOffset && start + length <= dataEnd)
                return data.Slice((int)(start - dataOffset), length);

            Span<byte> plain;
            if (NeedsOld(i))
            {
                plain = (i == first ? _firstPlain : _lastPlain).AsSpan(0, length);
                int oldLength = i == first ? firstOldLength : lastOldLength;
                if (length > oldLength) plain[oldLength..].Clear();
            }
            else
            {
                plain = _assembled.AsSpan(0, length);
            }
            long zeroFrom = Math.Max(start, coverStart), zeroTo = Math.Min(start + length, coverEnd);
            if (zeroFrom < zeroTo) plain.Slice((int)(zeroFrom - start), (int)(zeroTo - zeroFrom)).Clear();
            long copyFrom = Math.Max(start, dataOffset), copyTo = Math.Min(start + length, dataEnd);
            if (copyFrom < copyTo)
                data.Slice((int)(copyFrom - dataOffset), (int)(copyTo - copyFrom)).CopyTo(plain[(int)(copyFrom - start)..]);
            return plain;
        }
    }

    /// <summary>Makes blocks [from, to] read as zeros: punched where the store can, zeros written where it cannot.</summary>
    private void PunchBlocks(long from, long to, long oldCipherLength)
    {
        long start = CipherOffsetOfBlock(from);
        // Past the old end the store reads zeros already.
        long end = Math.Min(CipherOffsetOfBlock(to + 1), oldCipherLength);
        if (start >= end) return;
        if (!_punchUnsupported)
        {
            try
            {
                _store.PunchHole(start, end - start);
                return;
            }
            catch (NotSupportedException)
            {
                _punchUnsupported = true;
            }
        }
        byte[] zeros = ArrayPool<byte>.Shared.Rent(MaxChunkBlocks * CipherBlockSize);
        try
        {
            zeros.AsSpan().Clear();
            for (long at = start; at < end; at += zeros.Length)
                _store.WriteAt(zeros.AsSpan(0, (int)Math.Min(zeros.Length, end - at)), at);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeros);
        }
    }

    // ---------------------------------------------------------------- holes

    /// <summary>
    /// Reads block <paramref name="index"/> as it is now into <paramref name="plain"/>. Returns its authenticated
    /// holesBefore, or -1 when it is a (verified) hole.
    /// </summary>
    private long ReadOldBlock(long index, Snapshot s, Span<byte> plain, out int plainLength, out bool wasHole)
    {
        int storedLength = StoredLengthOfBlock(index, s.CipherLength);
        Span<byte> stored = _stored.AsSpan(0, storedLength);
        ReadExactly(stored, CipherOffsetOfBlock(index), index);
        plainLength = PlainLengthOfBlock(index, s.PlainLength);
        if (s.IsHoleCandidate(index, stored))
        {
            VerifyHole(index, s);
            plain[..plainLength].Clear();
            wasHole = true;
            return -1;
        }
        wasHole = false;
        return _cipher.Open(index, index == s.LastIndex, stored, plain);
    }

    /// <summary>The number of holes immediately before block <paramref name="index"/>, from the data block that vouches for them.</summary>
    private long HolesBefore(long index, Snapshot s)
    {
        if (index == 0 || !PeekIsHoleCandidate(index - 1, s)) return 0;
        (long j, long holes) = FindNextData(index, s);
        long runStart = j - holes;
        if (runStart > index - 1) throw ZeroedBlock(index - 1);
        return index - runStart;
    }

    /// <summary>An all-zero block is a hole only if the next data block's holesBefore reaches back over it.</summary>
    private void VerifyHole(long index, Snapshot s)
    {
        (long j, long holes) = FindNextData(index + 1, s);
        if (j - holes > index) throw ZeroedBlock(index);
    }

    private static ContentIntegrityException ZeroedBlock(long index) =>
        new($"block {index} is all zeros but no later block vouches for a hole there: a data block was zeroed", index);

    /// <summary>
    /// The first block at or after <paramref name="from"/> that is not all zeros, opened and verified (its plaintext left in
    /// _nextDataPlain), with its holesBefore. The last block always counts as data: an all-zero last block is damage.
    /// </summary>
    private (long Index, long HolesBefore) FindNextData(long from, Snapshot s)
    {
        if (_nextDataValid && _nextDataFrom <= from && from <= _nextDataIndex) return (_nextDataIndex, _nextDataHolesBefore);
        if (from > s.LastIndex)
            throw new ContentIntegrityException($"block {s.LastIndex} (the last) is all zeros: the file was cut off or zeroed", s.LastIndex);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxScanBlocks * CipherBlockSize);
        try
        {
            long i = from;
            int batch = 1;
            while (true)
            {
                if (i < s.LastIndex)
                {
                    // Skip what the backing file itself stores as a hole.
                    long data = _store.SeekData(CipherOffsetOfBlock(i));
                    i = data < 0 ? s.LastIndex : Math.Max(i, Math.Min(s.LastIndex, BlockIndexOfCipherOffset(data)));
                }
                long batchLast = Math.Min(s.LastIndex, i + batch - 1);
                long cipherStart = CipherOffsetOfBlock(i);
                int length = (int)(Math.Min(CipherOffsetOfBlock(batchLast + 1), s.CipherLength) - cipherStart);
                ReadExactly(buffer.AsSpan(0, length), cipherStart, i);
                for (long k = i; k <= batchLast; k++)
                {
                    var stored = buffer.AsSpan((int)(k - i) * CipherBlockSize, StoredLengthOfBlock(k, s.CipherLength));
                    if (s.IsHoleCandidate(k, stored)) continue;
                    if (k == s.LastIndex && ContentBlockCipher.IsAllZero(stored))
                        throw new ContentIntegrityException($"block {k} (the last) is all zeros: the file was cut off or zeroed", k);
                    long holes = _cipher.Open(k, k == s.LastIndex, stored, _nextDataPlain);
                    _nextDataValid = true;
                    _nextDataFrom = from;
                    _nextDataIndex = k;
                    _nextDataHolesBefore = holes;
                    _nextDataPlainLength = stored.Length - BlockOverhead;
                    return (k, holes);
                }
                i = batchLast + 1;
                batch = Math.Min(batch * 4, MaxScanBlocks);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether stored block <paramref name="index"/> is all zeros (a hole, if vouched for); reads 12 bytes when it is not.</summary>
    private bool PeekIsHoleCandidate(long index, Snapshot s)
    {
        if (index >= s.LastIndex) return false;
        long offset = CipherOffsetOfBlock(index);
        Span<byte> nonce = stackalloc byte[NonceSize];
        if (_store.ReadAt(nonce, offset) != NonceSize || nonce.IndexOfAnyExcept((byte)0) >= 0) return false;
        Span<byte> stored = _stored;
        ReadExactly(stored, offset, index);
        return ContentBlockCipher.IsAllZero(stored);
    }

    // ---------------------------------------------------------------- call state

    private void ReadExactly(Span<byte> destination, long offset, long blockIndex)
    {
        if (_store.ReadAt(destination, offset) != destination.Length)
            throw new ContentIntegrityException($"backing file ended inside block {blockIndex} while it was read (changed concurrently?)", blockIndex);
    }

    /// <summary>
    /// <see cref="BeginCall"/> for a call that writes: the stored header is re-read (another mount may have given the
    /// file a fresh one), and a file with blocks is written only under a header that one of its blocks authenticates.
    /// </summary>
    private Snapshot BeginMutation()
    {
        Snapshot s = BeginCall();
        if (s.CipherLength <= HeaderSize) return s;
        if (StoredHeaderChanged()) s = BeginCall();
        if (!_headerVouched) VouchForHeader(s);
        return s;
    }

    /// <summary>Adopts the stored header if it differs from the one in use; true if it did.</summary>
    private bool StoredHeaderChanged()
    {
        long length = _store.Length;
        if (length < HeaderSize) return false;
        Span<byte> stored = stackalloc byte[HeaderSize];
        if (_store.ReadAt(stored, 0) != HeaderSize || stored.SequenceEqual(_header)) return false;
        AdoptStoredHeader(length);
        return true;
    }

    /// <summary>Opens the last sealed block under the current header: proof that the header belongs to these blocks.</summary>
    private void VouchForHeader(Snapshot s)
    {
        long index = s.TailDamaged ? s.LastIndex - 1 : s.LastIndex;
        if (index >= 0)
        {
            int storedLength = StoredLengthOfBlock(index, s.CipherLength);
            Span<byte> stored = _stored.AsSpan(0, storedLength);
            ReadExactly(stored, CipherOffsetOfBlock(index), index);
            if (!s.IsHoleCandidate(index, stored))
            {
                try
                {
                    _cipher.Open(index, index == s.LastIndex, stored, _assembled);
                    _headerVouched = true;
                    return;
                }
                catch (ContentIntegrityException) { }
            }
        }
        throw new ContentIntegrityException(
            $"the header does not authenticate block {index}: it is not this file's header (copied from another file?); refusing to write under it", Math.Max(index, 0));
    }

    private void StartFreshHeader()
    {
        Span<byte> fileId = stackalloc byte[ContentHeader.FileIdSize];
        RandomNumberGenerator.Fill(fileId);
        using SecretKey fileKey = SecretKey.Random(ContentHeader.FileKeySize);
        var cipher = new ContentBlockCipher(fileKey, fileId);
        ContentHeader.Write(_headerKey, fileId, fileKey.Span, _header);
        _cipher.Dispose();
        _cipher = cipher;
    }

    private Snapshot BeginCall()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _nextDataValid = false;
        long cipherLength = _store.Length;
        if (cipherLength == 0) _headerOnDisk = false;
        else if (cipherLength < HeaderSize)
            throw new ContentHeaderException($"backing file is {cipherLength} bytes, shorter than the {HeaderSize}-byte header");
        else if (!_headerOnDisk) AdoptStoredHeader(cipherLength);
        return new Snapshot(cipherLength);
    }

    /// <summary>The backing file's length at the start of a call, and what follows from it.</summary>
    private readonly struct Snapshot(long cipherLength)
    {
        public long CipherLength { get; } = cipherLength;
        public long PlainLength { get; } = PlainSizeFromCipherSize(cipherLength);

        /// <summary>The last stored block, counting a damaged one too short to hold a tag.</summary>
        public long LastIndex { get; } = BlockCountOfCipherSize(cipherLength) - 1;

        public bool TailDamaged => LastStoredBlockSize(CipherLength) is > 0 and <= BlockOverhead;

        public void ThrowIfTailDamaged()
        {
            if (TailDamaged)
                throw new ContentIntegrityException(
                    $"block {LastIndex} (the last) is {LastStoredBlockSize(CipherLength)} bytes, too short to be a sealed block: the file was cut off",
                    LastIndex);
        }

        /// <summary>Only a full, non-last block can be a hole: the last block is always sealed, even when it is zeros.</summary>
        public bool IsHoleCandidate(long index, ReadOnlySpan<byte> stored) =>
            index < LastIndex && stored.Length == CipherBlockSize && ContentBlockCipher.IsAllZero(stored);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _cipher.Dispose();
        _headerKey.Dispose();
    }
}
