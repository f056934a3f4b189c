namespace CryptStack.Volume;

/// <summary>
/// What a volume's on-disk format protects against, from its config alone (no secret needed), so that `info`,
/// `fsck` and the mount can say what an older volume lacks. Version 1 volumes keep opening, reading and writing
/// with version 1's rules; nothing upgrades them silently.
/// </summary>
public sealed record VolumeFormat(int Version, IReadOnlyList<string> Features)
{
    public static VolumeFormat Of(VolumeConfig config) => new(config.FormatVersion, config.Features);

    public static VolumeFormat Of(VolumeInfo info) => new(info.FormatVersion, info.Features);

    /// <summary>What new volumes get.</summary>
    public static VolumeFormat Current { get; } = new(FormatConstants.FormatVersion, FormatConstants.KnownFeatures);

    /// <summary>Each cs.dirid is bound to its directory: one copied into another directory is detected.</summary>
    public bool BindsDirectoryIds => Features.Contains(FormatConstants.FeatureBoundDirIds);

    /// <summary>One line per protection this volume lacks compared with <see cref="Current"/>; empty when it has them all.</summary>
    public IReadOnlyList<string> MissingProtections
    {
        get
        {
            var missing = new List<string>();
            if (!BindsDirectoryIds)
                missing.Add("directory ids are not bound to their directories: a cs.dirid copied into another directory is not detected (format version 2 binds them)");
            return missing;
        }
    }
}
