using CryptStack.Fuse;
using CryptStack.Stack.Interop;

namespace CryptStack.Offline.Inspect;

/// <summary>`cryptstack cat`: one file's plaintext to a stream, up to the first damaged block (then an exception naming it).</summary>
public static class PlainFileReader
{
    public static long Copy(OfflineVolume volume, string plainPath, Stream output)
    {
        using var resolved = volume.Resolve(plainPath);
        if (!Native.IsRegular(resolved.Attr.Mode))
            throw new OfflineException(OfflineErrorKind.InvalidPath, $"{resolved.PlainPath}: not a regular file");
        var fi = new FuseFileInfo { Flags = Native.O_RDONLY };
        int mark = volume.Damage.Count;
        int rc = volume.Stack.Open(resolved.Node, ref fi);
        if (rc < 0) throw Damaged(volume, resolved, mark, rc);
        try
        {
            var buffer = new byte[1 << 20];
            long offset = 0;
            while (true)
            {
                int n = volume.Stack.Read(resolved.Node, buffer, offset, ref fi);
                if (n < 0) throw Damaged(volume, resolved, mark, n);
                if (n == 0) return offset;
                output.Write(buffer, 0, n);
                offset += n;
            }
        }
        finally { volume.Stack.Release(resolved.Node, ref fi); }
    }

    private static OfflineException Damaged(OfflineVolume volume, ResolvedPath path, int mark, int errno)
    {
        var found = volume.Damage.Since(mark);
        string reason = found.Count > 0 ? string.Join("; ", found.Select(d => d.Reason).Distinct()) : $"errno {-errno}";
        return new OfflineException(OfflineErrorKind.Damaged, $"{path.PlainPath}: {reason} (ciphertext {volume.CipherPathOf(path.Node)})");
    }
}
