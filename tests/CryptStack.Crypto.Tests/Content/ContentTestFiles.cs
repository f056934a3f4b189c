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
