using System.Runtime.InteropServices;

namespace CryptStack.Cli.Output;

/// <summary>
/// read(2) and write(2) on an inherited descriptor, at the descriptor's own offset. FileStream would
/// keep a private position on a seekable descriptor (`2>log`): writes would land over what other
/// processes sharing the descriptor wrote. A closed or broken descriptor loses the output, as Console does.
/// </summary>
internal sealed partial class DescriptorStream(int fd, FileAccess access) : Stream
{
    private const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint SysRead(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint SysWrite(int fd, ref byte buffer, nint count);

    public override bool CanRead => access.HasFlag(FileAccess.Read);
    public override bool CanWrite => access.HasFlag(FileAccess.Write);
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            nint n = SysRead(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n >= 0) return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            nint n = SysWrite(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n > 0) buffer = buffer[(int)n..];
            else if (n < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            else return; // EBADF, EPIPE (SIGPIPE is ignored by .NET), ENOSPC: nowhere to report it
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
