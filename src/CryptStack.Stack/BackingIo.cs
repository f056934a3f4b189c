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
    /// <summary>Room for any single backing name (NAME_MAX 255) and its NUL: <c>stackalloc byte[NameBuffer]</c>.</summary>
    public const int NameBuffer = 256;

    /// <summary>
    /// <paramref name="s"/> and a NUL in <paramref name="buffer"/> (stack memory of
    /// <see cref="NameBuffer"/> bytes) when it fits, else in a new array: no allocation per lookup.
    /// </summary>
    public static Span<byte> Z(ReadOnlySpan<byte> s, Span<byte> buffer)
    {
        var z = s.Length < buffer.Length ? buffer[..(s.Length + 1)] : new byte[s.Length + 1];
        s.CopyTo(z);
        z[s.Length] = 0;
        return z;
    }

    public static byte[] Z(ReadOnlySpan<byte> s)
    {
        var z = new byte[s.Length + 1];
        s.CopyTo(z);
        return z;
    }
}
