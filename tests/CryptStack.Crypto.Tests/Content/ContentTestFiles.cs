using System.Buffers.Binary;
using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>A content file over a real temporary file, deleted on dispose.</summary>
internal sealed class TempContentFile : IDisposable
{
    public TempContentFile(SecretKey? headerKey = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cryptstack-content-{Guid.NewGuid():N}");
        HeaderKey = headerKey ?? new SecretKey(ContentVectorTests.HeaderKey);
        Store = FileStore.Open(Path, FileMode.CreateNew);
        File = ContentFile.Create(Store, HeaderKey);
    }

    public string Path { get; }
    public SecretKey HeaderKey { get; }
    public FileStore Store { get; }
    public ContentFile File { get; private set; }

    /// <summary>Opens the backing file afresh, as a new mount would.</summary>
    public ContentFile Reopen()
    {
        File.Dispose();
        File = ContentFile.Open(Store, HeaderKey);
        return File;
    }

    public byte[] CipherBytes() => System.IO.File.ReadAllBytes(Path);

    public void WriteCipher(long offset, ReadOnlySpan<byte> bytes) => Store.WriteAt(bytes, offset);

    public byte[] ReadAll()
    {
        var buffer = new byte[File.PlainLength + 10];
        int n = File.Read(buffer, 0);
        return buffer.AsSpan(0, n).ToArray();
    }

    public byte[] ReadBlock(long index)
    {
        var buffer = new byte[PlainBlockSize];
        int n = File.Read(buffer, PlainOffsetOfBlock(index));
        return buffer.AsSpan(0, n).ToArray();
    }

    public void Dispose()
    {
        File.Dispose();
        Store.Dispose();
        HeaderKey.Dispose();
        System.IO.File.Delete(Path);
    }
}

/// <summary>A store with no hole support, as on a filesystem without fallocate(PUNCH_HOLE) or SEEK_HOLE.</summary>
internal sealed class MemoryStore : IRandomAccessStore
{
    private byte[] _bytes = new byte[1 << 16];

    public long Length { get; private set; }

    public int ReadAt(Span<byte> destination, long offset)
    {
        int n = (int)Math.Clamp(Length - offset, 0, destination.Length);
        _bytes.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void WriteAt(ReadOnlySpan<byte> source, long offset)
    {
        EnsureCapacity(offset + source.Length);
        source.CopyTo(_bytes.AsSpan((int)offset));
        Length = Math.Max(Length, offset + source.Length);
    }

    public void SetLength(long length)
    {
        EnsureCapacity(length);
        if (length < Length) _bytes.AsSpan((int)length, (int)(Length - length)).Clear();
        Length = length;
    }

    public void PunchHole(long offset, long length) => throw new NotSupportedException();

    public long SeekData(long offset) => offset < Length ? offset : -1;

    public long SeekHole(long offset) => offset < Length ? Length : -1;

    private void EnsureCapacity(long length)
    {
        if (length > _bytes.Length) Array.Resize(ref _bytes, (int)Math.Max(length, 2L * _bytes.Length));
    }
}

internal static class StoredBlocks
{
    /// <summary>
    /// Checks the hole bookkeeping from the ciphertext alone: every all-zero block is a non-last full block, and
    /// every data block's holesBefore is exactly the run of all-zero blocks before it (never more: a larger count
    /// would let a zeroed data block pass as a hole).
    /// </summary>
    public static void AssertHoleCountsExact(IRandomAccessStore store)
    {
        long cipherLength = store.Length;
        long blocks = BlockCountOfCipherSize(cipherLength);
        var stored = new byte[CipherBlockSize];
        long run = 0;
        for (long i = 0; i < blocks; i++)
        {
            int length = StoredLengthOfBlock(i, cipherLength);
            store.ReadAt(stored.AsSpan(0, length), CipherOffsetOfBlock(i));
            if (stored.AsSpan(0, length).IndexOfAnyExcept((byte)0) < 0)
            {
                Assert.True(i < blocks - 1, $"last block {i} is all zeros");
                run++;
                continue;
            }
            long holes = BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(NonceSize));
            Assert.True(run == holes, $"block {i} says {holes} holes before it, there are {run}");
            run = 0;
        }
    }
}
