namespace CryptStack.Volume;

/// <summary>
/// `cryptstack config backup` / `restore`, like cryptsetup's luksHeaderBackup and luksHeaderRestore: a copy of
/// cryptstack.conf kept away from the ciphertext. Restoring one is a rollback of the keyslots to the time of the
/// backup (slots removed since then open the volume again), so it needs a secret that opens the backup, and it
/// refuses a backup of another volume.
/// </summary>
public static class ConfigBackup
{
    /// <summary>Copies the volume's config (checked to parse) to a new file, mode 0600; returns the path it read.</summary>
    public static string Backup(string cipherRoot, string file)
    {
        string source = CryptVolume.ConfigPathFor(cipherRoot);
        CryptVolume.Read(source);
        if (File.Exists(file) || Directory.Exists(file))
            throw new VolumeException(VolumeErrorKind.Refused, $"{file}: already exists; choose a new file name");
        AtomicFile.CreateNew(file, File.ReadAllBytes(source));
        return source;
    }

    /// <summary>
    /// Installs <paramref name="file"/> as cryptstack.conf (and .bak, and cs.recovery) after <paramref name="secret"/>
    /// opened it and its MAC verified. A current config of another volume (other volume id) is refused unless
    /// <paramref name="force"/>. Returns the installed volume, open.
    /// </summary>
    public static UnlockedVolume Restore(string cipherRoot, string file, VolumeSecret secret, bool force = false)
    {
        VolumeConfig backup = CryptVolume.Read(file);
        string configPath = CryptVolume.ConfigPathFor(cipherRoot);
        if (!force && TryVolumeId(configPath) is { } current && !current.AsSpan().SequenceEqual(backup.VolumeId))
            throw new VolumeException(VolumeErrorKind.Refused,
                $"{file} is the config of another volume (volume id {Convert.ToHexStringLower(backup.VolumeId)}, this one has {Convert.ToHexStringLower(current)}); force it to replace it anyway");
        var (keys, slot) = CryptVolume.Unlock(file, backup, secret, ConfigDocument.Config);
        var volume = new UnlockedVolume(cipherRoot, configPath, backup, keys, slot);
        try
        {
            volume.Save();
            return volume;
        }
        catch
        {
            volume.Dispose();
            throw;
        }
    }

    private static byte[]? TryVolumeId(string configPath)
    {
        try { return CryptVolume.Read(configPath).VolumeId; }
        catch (VolumeException) { return null; }
    }
}
