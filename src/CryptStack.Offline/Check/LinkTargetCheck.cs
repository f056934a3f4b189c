namespace CryptStack.Offline.Check;

/// <summary>Symlink targets (format.md section 6): every target decrypts, a long one through a sidecar whose hash matches.</summary>
public sealed class LinkTargetCheck : IVolumeCheck
{
    public string Area => "link-targets";

    public void Entry(CheckContext context, TreeEntry entry, string cipherPath)
    {
        if (!entry.IsSymlink) return;
        int mark = context.Volume.Damage.Count;
        int rc = context.Volume.ReadLink(entry.Node, out _);
        if (rc >= 0) return;
        var reasons = context.Volume.Damage.Since(mark).Select(d => d.Reason).Distinct().ToList();
        context.Report(Area, entry.PlainPath, cipherPath,
            $"the symlink target does not decrypt: {(reasons.Count > 0 ? string.Join("; ", reasons) : $"errno {-rc}")}");
    }
}
