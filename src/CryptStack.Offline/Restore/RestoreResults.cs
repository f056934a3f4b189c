namespace CryptStack.Offline.Restore;

public sealed record RestoreOptions
{
    /// <summary>Restore into a destination that is not empty: entries of the same name are replaced, directories merged.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Write the readable blocks of a damaged file, with the bad ranges zeroed and listed, instead of skipping it.</summary>
    public bool Salvage { get; init; }

    /// <summary>Give entries their owner and group (only root can); null: when running as root.</summary>
    public bool? Owners { get; init; }
}

/// <summary>
/// Something a restore could not do as asked, by plaintext path and (where there is one) ciphertext path.
/// <see cref="Skipped"/>: the entry (or, for a name that does not decrypt, an unknown entry of the directory at
/// <see cref="PlainPath"/>) is missing from the destination; otherwise it is there, but incomplete
/// (<see cref="BadRanges"/> zeroed by salvage, an xattr missing, an attribute not set).
/// </summary>
public sealed record RestoreProblem(string PlainPath, string? CipherPath, string What, bool Skipped, IReadOnlyList<BadRange> BadRanges)
{
    public override string ToString() =>
        $"{PlainPath}: {What}{(CipherPath is null ? "" : $" (ciphertext {CipherPath})")}";
}

/// <summary>What a restore did.</summary>
public sealed record RestoreSummary(long Files, long Directories, long Symlinks, long HardLinks, long SpecialFiles, long Bytes, int Skipped, int Incomplete)
{
    public bool Complete => Skipped == 0 && Incomplete == 0;
}
