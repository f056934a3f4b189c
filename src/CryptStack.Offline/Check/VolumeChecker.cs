using CryptStack.Crypto.Names;
using CryptStack.Encryption;
using CryptStack.Volume;

namespace CryptStack.Offline.Check;

/// <summary>
/// `cryptstack fsck`: one walk of the plaintext tree through the same stack and encryption layer the mount uses
/// (so it finds exactly what the mount would answer EIO for, or hide), with each backing directory also listed raw (for
/// what the mount cannot see: orphans, stray files, subtrees below a name that does not decrypt). What to check is the
/// checkers' (<see cref="IVolumeCheck"/>), one per feature of the format; the config files are checked before the walk
/// (<see cref="ConfigInspection"/>). Never writes unless repairing.
/// </summary>
public sealed class VolumeChecker : ITreeVisitor
{
    private readonly CheckContext _context;
    private readonly IReadOnlyList<IVolumeCheck> _checks;
    private long _entries, _files;

    private VolumeChecker(CheckContext context, IReadOnlyList<IVolumeCheck> checks)
    {
        _context = context;
        _checks = checks.Where(c => c.AppliesTo(context)).ToList();
    }

    /// <summary>The checkers for the current format, in the order they run.</summary>
    public static IReadOnlyList<IVolumeCheck> StandardChecks() =>
        [new NameCheck(), new StrayFileCheck(), new ContentCheck(), new LinkTargetCheck(), new XattrCheck()];

    public static CheckSummary Run(OfflineVolume volume, IEnumerable<ConfigFinding> configFindings, bool repair, WorkProgress progress,
        Action<CheckProblem>? listener = null, IReadOnlyList<IVolumeCheck>? checks = null)
    {
        var findings = new CheckFindings(listener);
        var context = new CheckContext(volume, findings, progress, repair);
        foreach (var finding in configFindings)
            context.Report("config", null, finding.Path, finding.What, finding.IsProblem ? Severity.Problem : Severity.Note);
        if (repair)
        {
            foreach (var (path, done) in ConfigInspection.Repair(volume.Unlocked))
            {
                var problem = findings.All.FirstOrDefault(p => p.Area == "config" && p.CipherPath == path);
                if (problem != null) findings.MarkRepaired(problem, done);
                else context.Report("config", null, path, "out of step with the config", Severity.Note);
            }
        }
        var checker = new VolumeChecker(context, checks ?? StandardChecks());
        new TreeWalker(volume, checker).Walk(["/"]);
        foreach (var check in checker._checks) check.Finish(context);
        return new CheckSummary(checker._entries, checker._files, progress.Bytes, findings.All);
    }

    public bool EnterDirectory(TreeEntry directory)
    {
        string cipherPath = _context.Volume.CipherPathOf(directory.Node);
        VisitDirectory(cipherPath, directory.PlainPath, directory.PlainPath == "/");
        if (directory.PlainPath != "/") _entries++;
        foreach (var check in _checks) check.Entry(_context, directory, cipherPath);
        _context.Progress.AddFile();
        return true;
    }

    public void LeaveDirectory(TreeEntry directory) { }

    public void Visit(TreeEntry entry)
    {
        string cipherPath = _context.Volume.CipherPathOf(entry.Node);
        _entries++;
        if (entry.IsRegular) _files++;
        foreach (var check in _checks) check.Entry(_context, entry, cipherPath);
        _context.Progress.AddFile();
    }

    public void Damaged(string plainPath, string? cipherPath, DamageKind kind, string reason)
    {
        // A listing may touch a link target or a header (readdirplus sizes); the entry's own checker reports those, by the entry's path.
        if (kind is not (DamageKind.Name or DamageKind.DirectoryId)) return;
        bool handled = false;
        foreach (var check in _checks)
        {
            if (check.Damaged(_context, plainPath, cipherPath, kind, reason))
            {
                handled = true;
                break;
            }
        }
        if (!handled) _context.Report("names", plainPath, cipherPath ?? _context.CipherDir, reason);
        // Below a directory whose name does not decrypt, only the backing tree can be walked.
        if (kind == DamageKind.Name && cipherPath != null && BackingDirectory.LStat(cipherPath).Type == BackingEntryType.Directory)
            WalkUnreachable(cipherPath);
    }

    private void VisitDirectory(string cipherPath, string? plainPath, bool isRoot)
    {
        BackingDirectory raw;
        try { raw = BackingDirectory.Read(cipherPath, plainPath, isRoot); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _context.Report("names", plainPath, cipherPath, $"the backing directory cannot be listed ({e.Message})");
            return;
        }
        if (DirectoryIdOf(raw) is { } id) _context.DirectoryIds.TryAdd(Convert.ToHexString(id), (plainPath, cipherPath));
        foreach (var check in _checks) check.Directory(_context, raw);
    }

    private void WalkUnreachable(string cipherPath)
    {
        VisitDirectory(cipherPath, null, false);
        try
        {
            foreach (string sub in Directory.EnumerateDirectories(cipherPath))
                if (BackingDirectory.LStat(sub).Type == BackingEntryType.Directory) WalkUnreachable(sub);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The directory's id when its cs.dirid is a regular file of 16 bytes (format version 1) or 48 (version 2: the id
    /// and its binding tag, which the encryption layer verifies when it loads a reachable directory).
    /// </summary>
    internal static byte[]? DirectoryIdOf(BackingDirectory directory)
    {
        var entry = directory.Find(BackingNames.DirIdFileName);
        if (entry is not { Type: BackingEntryType.File, Size: DirectoryId.Size or DirectoryIdCodec.SealedSize }) return null;
        try
        {
            byte[] id = File.ReadAllBytes(directory.PathOf(BackingNames.DirIdFileName));
            return id.Length is DirectoryId.Size or DirectoryIdCodec.SealedSize ? id[..DirectoryId.Size] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
