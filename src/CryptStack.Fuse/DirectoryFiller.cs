namespace CryptStack.Fuse;

/// <summary>The fuse_fill_dir_t callback and its buffer for one readdir request.</summary>
public readonly unsafe ref struct DirectoryFiller
{
    private const int FillDirPlus = 2;
    private readonly delegate* unmanaged<nint, byte*, Stat*, long, int, int> _fill;
    private readonly nint _buffer;

    internal DirectoryFiller(nint fill, nint buffer)
    {
        _fill = (delegate* unmanaged<nint, byte*, Stat*, long, int, int>)fill;
        _buffer = buffer;
    }

    /// <summary>
    /// Adds an entry. With <paramref name="nextOffset"/> 0 libfuse collects the whole listing in
    /// one call and pages it to the kernel itself. Returns false when the buffer is full.
    /// </summary>
    public bool Add(ReadOnlySpan<byte> name, in Stat stat, bool statIsComplete, long nextOffset = 0)
    {
        Span<byte> z = stackalloc byte[name.Length + 1];
        name.CopyTo(z);
        z[name.Length] = 0;
        fixed (byte* n = z)
        fixed (Stat* s = &stat)
        {
            return _fill(_buffer, n, s, nextOffset, statIsComplete ? FillDirPlus : 0) == 0;
        }
    }
}
