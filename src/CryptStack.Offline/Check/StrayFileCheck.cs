using CryptStack.Crypto.Names;
using CryptStack.Volume;

namespace CryptStack.Offline.Check;

/// <summary>
/// What the mount never shows and so never notices (format.md section 8): long-name sidecars without their entry,
/// link-target sidecars without their symlink, temporary files of an interrupted config save, and other files
/// under a name reserved for CryptStack that CryptStack does not write.
/// </summary>
public sealed partial class StrayFileCheck : IVolumeCheck
{
    public const string AreaName = "stray-files";
    public string Area => AreaName;

    /// <summary>The temporary files of an atomic save at the root (AtomicFile: "&lt;target&gt;.tmp"), with their target.</summary>
    internal static readonly string[] RootTemporaryFiles =
        [BackingNames.ConfigFileName + ".tmp", BackingNames.ConfigBackupFileName + ".tmp", RecoveryRecord.FileName + ".tmp"];

    private readonly List<(CheckProblem Problem, string Path)> _temporary = [];

    public void Directory(CheckContext context, BackingDirectory directory)
    {
        string? where = directory.PlainPath;
        foreach (var entry in directory.Entries)
        {
            string name = entry.Name;
            string path = directory.PathOf(name);
            if (directory.IsRoot && RootTemporaryFiles.Contains(name))
            {
                var problem = context.Report(AreaName, null, path,
                    $"temporary file of an interrupted config save ({entry.Size} bytes); {name[..^4]} itself was not replaced by it");
                _temporary.Add((problem, path));
                continue;
            }
            if (directory.IsRoot && name.StartsWith(BackingNames.ConfigFileName, StringComparison.Ordinal))
            {
                if (name is not BackingNames.ConfigFileName and not BackingNames.ConfigBackupFileName)
                    context.Report(AreaName, null, path, name.EndsWith(".damaged", StringComparison.Ordinal)
                        ? "a damaged config set aside by `cryptstack recover --rebuild-config` (kept for you to inspect; remove it when no longer needed)"
                        : "a file beside the config that CryptStack does not write", Severity.Note);
                continue;
            }
            if (name == BackingNames.DirIdFileName || name == BackingNames.PendingDirIdFileName || (directory.IsRoot && name == RecoveryRecord.FileName)) continue;
            if (name.EndsWith(BackingNames.LongNameSidecarSuffix, StringComparison.Ordinal) && BackingNames.IsLongName(name.AsSpan(0, name.Length - BackingNames.LongNameSidecarSuffix.Length)))
            {
                if (directory.Find(name[..^BackingNames.LongNameSidecarSuffix.Length]) == null)
                    context.Report(AreaName, where, path, "long-name sidecar without its entry (the entry was removed or lost; the sidecar holds only its encrypted name)");
                continue;
            }
            if (name.EndsWith(BackingNames.LinkSidecarSuffix, StringComparison.Ordinal)
                && BackingNames.Classify(name.AsSpan(0, name.Length - BackingNames.LinkSidecarSuffix.Length), directory.IsRoot) is BackingNameKind.EncodedName or BackingNameKind.LongName)
            {
                var owner = directory.Find(name[..^BackingNames.LinkSidecarSuffix.Length]);
                if (owner == null)
                    context.Report(AreaName, where, path, "link-target sidecar without its symlink");
                else if (owner.Type != BackingEntryType.Symlink)
                    context.Report(AreaName, where, path, "link-target sidecar of an entry that is not a symlink");
                else if (!IsIndirect(directory.PathOf(owner.Name)))
                    context.Report(AreaName, where, path, "link-target sidecar of a symlink that stores its target itself (left over)");
                continue;
            }
            if (BackingNames.Classify(name, directory.IsRoot) == BackingNameKind.Reserved && !IsKnownReserved(name, directory.IsRoot))
                context.Report(AreaName, where, path, "a file under a name reserved for CryptStack (cs.*) that CryptStack does not write");
        }
    }

    /// <summary>Reserved names other checkers own (a later format adds its own files here).</summary>
    private static bool IsKnownReserved(string name, bool isRoot) => isRoot && KnownRootFiles.Contains(name);

    /// <summary>Reserved files at the root that other parts of CryptStack write (and check).</summary>
    internal static readonly HashSet<string> KnownRootFiles = [RecoveryRecord.FileName];

    private static bool IsIndirect(string symlink)
    {
        try { return new FileInfo(symlink).LinkTarget is { } target && CryptStack.Crypto.Names.LinkTargetCodec.IsIndirectTarget(target); }
        catch (IOException) { return false; }
    }

    public void Finish(CheckContext context)
    {
        if (context.Repair) Repair(context);
    }

    partial void Repair(CheckContext context);
}
