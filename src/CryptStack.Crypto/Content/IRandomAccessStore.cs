namespace CryptStack.Crypto.Content;

/// <summary>
/// The backing file under a <see cref="ContentFile"/>: positional reads and writes and the sparse-file calls,
/// with the meaning of pread, pwrite, ftruncate, fallocate(PUNCH_HOLE) and lseek(SEEK_DATA/SEEK_HOLE).
/// The mount layer implements it over a raw descriptor; <see cref="FileStore"/> implements it over a file.
/// </summary>
public interface IRandomAccessStore
{
    long Length { get; }

    /// <summary>Reads up to destination.Length bytes; fewer only at end of file.</summary>
    int ReadAt(Span<byte> destination, long offset);

    /// <summary>Writes all of <paramref name="source"/>, extending the file (with zeros between) if needed.</summary>
    void WriteAt(ReadOnlySpan<byte> source, long offset);

    void SetLength(long length);

    /// <summary>Deallocates a range, keeping the size; the range then reads as zeros.</summary>
    /// <exception cref="NotSupportedException">The backing filesystem cannot punch holes; the caller writes zeros instead.</exception>
    void PunchHole(long offset, long length);

    /// <summary>The first offset at or after <paramref name="offset"/> that is data, or -1 if none (ENXIO).
    /// A store without hole support returns <paramref name="offset"/> for any offset inside the file.</summary>
    long SeekData(long offset);

    /// <summary>The first offset at or after <paramref name="offset"/> in a hole (the end of file counts as one),
    /// or -1 if <paramref name="offset"/> is at or past the end (ENXIO).</summary>
    long SeekHole(long offset);
}
