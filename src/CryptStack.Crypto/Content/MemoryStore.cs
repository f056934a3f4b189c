namespace CryptStack.Crypto.Content;

/// <summary>
/// An <see cref="IRandomAccessStore"/> in one growable array, like a filesystem without hole support
/// (PunchHole is not supported, SEEK_DATA/SEEK_HOLE see all data). For tests, benchmarks and tools that
/// encrypt in memory; at most 2 GiB.
/// </summary>
public sealed class MemoryStore : IRandomAccessStore
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
        if (offset > Length) _bytes.AsSpan((int)Length, (int)(offset - Length)).Clear();
        source.CopyTo(_bytes.AsSpan((int)offset));
        Length = Math.Max(Length, offset + source.Length);
    }

    public void SetLength(long length)
    {
        EnsureCapacity(length);
        if (length > Length) _bytes.AsSpan((int)Length, (int)(length - Length)).Clear();
        Length = length;
    }

    public void PunchHole(long offset, long length) => throw new NotSupportedException("a memory store has no holes");

    public long SeekData(long offset) => offset < Length ? offset : -1;

    public long SeekHole(long offset) => offset < Length ? Length : -1;

    private void EnsureCapacity(long length)
    {
        if (length > Array.MaxLength) throw new IOException($"a memory store holds at most {Array.MaxLength} bytes");
        if (length > _bytes.Length) Array.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, Math.Max(length, 2L * _bytes.Length)));
    }
}
