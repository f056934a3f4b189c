using CryptStack.Stack.Interop;

namespace CryptStack.Stack;

/// <summary>pread/pwrite loops: a backing filesystem may return short counts (signals, NFS).</summary>
public static class BackingIo
{
    public static int ReadFully(int fd, Span<byte> buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = Native.PRead(fd, buffer[done..], offset + done);
            if (n < 0) return done > 0 ? done : n;
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    public static int WriteFully(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = Native.PWrite(fd, buffer[done..], offset + done);
            if (n < 0) return done > 0 ? done : n;
            done += n;
        }
        return done;
    }
}

/// <summary>NUL-terminated copies of names for the libc calls.</summary>
public static class NativeString
{
    public static byte[] Z(ReadOnlySpan<byte> s)
    {
        var z = new byte[s.Length + 1];
        s.CopyTo(z);
        return z;
    }
}
