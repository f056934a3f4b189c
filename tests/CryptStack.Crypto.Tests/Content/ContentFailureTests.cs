using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>A backing filesystem that refuses to grow (EFBIG, ENOSPC) leaves the file as it was.</summary>
public class ContentFailureTests
{
    /// <summary>A store that fails every write or truncate reaching past <see cref="Limit"/>, like a full disk.</summary>
    private sealed class FullStore(long limit) : IRandomAccessStore
    {
        private readonly MemoryStore _inner = new();
        public long Limit { get; set; } = limit;
        public long Length => _inner.Length;
        public int ReadAt(Span<byte> destination, long offset) => _inner.ReadAt(destination, offset);

        public void WriteAt(ReadOnlySpan<byte> source, long offset)
        {
            if (offset + source.Length > Limit) throw new IOException("No space left on device");
            _inner.WriteAt(source, offset);
        }

        public void SetLength(long length)
        {
            if (length > Limit) throw new IOException("File too large");
            _inner.SetLength(length);
        }

        public void PunchHole(long offset, long length) => _inner.PunchHole(offset, length);
        public long SeekData(long offset) => _inner.SeekData(offset);
        public long SeekHole(long offset) => _inner.SeekHole(offset);
    }

    private static byte[] Pattern(int length)
    {
        var b = new byte[length];
        new Random(3).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(5000)]      // old last block partial
    [InlineData(8192)]      // old last block full
    public void Failed_extension_keeps_old_content_and_length(int initial)
    {
        using var key = new SecretKey(ContentVectorTests.HeaderKey);
        var store = new FullStore(long.MaxValue);
        using var file = ContentFile.Create(store, key);
        byte[] data = Pattern(initial);
        file.Write(data, 0);
        long cipherLength = store.Length;
        store.Limit = cipherLength + 10;

        Assert.ThrowsAny<IOException>(() => file.SetLength(1L << 30));
        Assert.ThrowsAny<IOException>(() => file.Write(Pattern(100), 1L << 20));
        Assert.ThrowsAny<IOException>(() => file.Write(Pattern(PlainBlockSize * 3), initial));

        Assert.Equal(cipherLength, store.Length);
        using var reopened = ContentFile.Open(store, key);
        var read = new byte[initial + 100];
        Assert.Equal(initial, reopened.Read(read, 0));
        Assert.Equal(data, read[..initial]);
    }
}
