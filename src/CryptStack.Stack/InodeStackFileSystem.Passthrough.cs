using CryptStack.Fuse;

namespace CryptStack.Stack;

// FUSE passthrough: with the identity content transform (the mirror), an open file's bytes are the
// backing file's bytes, so the kernel may read and write the backing file itself.
public sealed partial class InodeStackFileSystem : IFusePassthrough
{
    public int BackingFd(ulong node, ulong fileHandle) =>
        _content is IdentityContentTransform && _files.Get(fileHandle) is { } file ? file.Fd : -1;
}
