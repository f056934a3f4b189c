namespace CryptStack.Fuse;

/// <summary>
/// A filesystem whose open files are plain backing files (the mirror): the kernel may then do their
/// reads, writes and mmap on the backing file itself (FUSE passthrough, kernel 6.9+), and data never
/// crosses into the daemon. Metadata requests still come to the filesystem.
/// </summary>
public interface IFusePassthrough
{
    /// <summary>The descriptor of the backing file behind an open handle, or -1 when this file must be served by the daemon.</summary>
    int BackingFd(ulong node, ulong fileHandle);
}
