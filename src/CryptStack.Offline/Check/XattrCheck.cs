namespace CryptStack.Offline.Check;

/// <summary>Extended attributes (format.md section 7): every stored user.cs.* name decrypts and every value authenticates.</summary>
public sealed class XattrCheck : IVolumeCheck
{
    public string Area => "xattrs";

    public void Entry(CheckContext context, TreeEntry entry, string cipherPath)
    {
        if (entry.IsSymlink) return;
        int mark = context.Volume.Damage.Count;
        var values = new List<KeyValuePair<byte[], byte[]>>();
        int rc = context.Volume.ReadXattrs(entry.Node, values);
        var found = context.Volume.Damage.Since(mark);
        if (found.Count == 0 && rc >= 0) return;
        string what = found.Count > 0
            ? string.Join("; ", found.Select(d => $"{(d.Kind == Encryption.DamageKind.XattrName ? "an xattr name" : "the value of an xattr")} ({d.CipherPath}) does not decrypt: {d.Reason}").Distinct())
            : $"the xattrs cannot be read (errno {-rc})";
        context.Report(Area, entry.PlainPath, cipherPath, what);
    }
}
