using System.Runtime.InteropServices;

namespace CryptStack.Fuse;

/// <summary>
/// One worker thread's native reply buffer, grown to the largest reply it has sent. Owned through a
/// [ThreadStatic] reference, so when libfuse ends the worker thread the buffer becomes unreachable and its
/// finalizer frees it: a raw [ThreadStatic] pointer was lost with every thread libfuse's loop retired, and
/// the daemon grew by a buffer (up to max_read) per retired worker (issue #15).
/// </summary>
internal sealed unsafe class ReplyBuffer
{
    private byte* _memory;
    private nuint _size;

    public byte* AtLeast(nuint size)
    {
        if (_size < size)
        {
            _memory = (byte*)NativeMemory.Realloc(_memory, size);
            _size = size;
        }
        return _memory;
    }

    ~ReplyBuffer()
    {
        NativeMemory.Free(_memory);
        _memory = null;
    }
}
