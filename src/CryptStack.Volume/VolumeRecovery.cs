using CryptStack.Crypto.Keys;

namespace CryptStack.Volume;

/// <summary>Which document opened a volume for reading.</summary>
public enum OpenedFrom
{
    Config,
    /// <summary>cryptstack.conf was missing or damaged; its .bak opened.</summary>
    ConfigBackup,
    /// <summary>Both were missing or damaged; the recovery key opened cs.recovery.</summary>
    RecoveryRecord,
}

/// <summary>What `recover --rebuild-config` did.</summary>
public sealed record RebuiltConfig(int PassphraseSlot, IReadOnlyList<int> RecoverySlots, IReadOnlyList<string> SetAside);

/// <summary>
/// Getting at a volume whose config is gone or damaged: reading through whatever still opens it, and rebuilding
/// cryptstack.conf from the recovery record with the recovery key.
/// </summary>
public static class VolumeRecovery
{
    /// <summary>
    /// Opens a volume for reading its files: cryptstack.conf; if that is missing or damaged, its .bak; if that too,
    /// and the secret is a recovery key, cs.recovery. The result is <see cref="UnlockedVolume.ReadOnly"/> unless it
    /// came from cryptstack.conf. A wrong secret is reported as such at once (not hidden behind the fallbacks).
    /// </summary>
    public static (UnlockedVolume Volume, OpenedFrom From) OpenForReading(string cipherRoot, VolumeSecret secret)
    {
        VolumeException? first = null;
        foreach (var (path, from) in new[] { (CryptVolume.ConfigPathFor(cipherRoot), OpenedFrom.Config), (CryptVolume.BackupPathFor(cipherRoot), OpenedFrom.ConfigBackup) })
        {
            try
            {
                VolumeConfig config = CryptVolume.Read(path);
                var (keys, slot) = CryptVolume.Unlock(path, config, secret, ConfigDocument.Config);
                return (new UnlockedVolume(cipherRoot, path, config, keys, slot, readOnly: from != OpenedFrom.Config), from);
            }
            catch (VolumeException e) when (e.Kind is VolumeErrorKind.NotAVolume or VolumeErrorKind.CorruptConfig or VolumeErrorKind.Io)
            {
                first ??= e;
            }
        }
        if (secret.Kind != KeyslotKind.Recovery || !File.Exists(RecoveryRecord.PathFor(cipherRoot))) throw first!;
        return (OpenRecord(cipherRoot, secret), OpenedFrom.RecoveryRecord);
    }

    /// <summary>
    /// After <paramref name="secret"/> opened no keyslot of cryptstack.conf: true when cryptstack.conf.bak differs
    /// from it and the secret opens the backup, i.e. a keyslot of the config is damaged rather than the secret wrong.
    /// </summary>
    public static bool BackupOpensInstead(string cipherRoot, VolumeSecret secret)
    {
        string config = CryptVolume.ConfigPathFor(cipherRoot), backup = CryptVolume.BackupPathFor(cipherRoot);
        try
        {
            if (!File.Exists(backup) || (File.Exists(config) && File.ReadAllBytes(config).AsSpan().SequenceEqual(File.ReadAllBytes(backup))))
                return false;
            var (keys, _) = CryptVolume.Unlock(backup, CryptVolume.Read(backup), secret, ConfigDocument.Config);
            keys.Dispose();
            return true;
        }
        catch (Exception e) when (e is VolumeException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Opens the volume from cs.recovery with a recovery key; read-only.</summary>
    public static UnlockedVolume OpenRecord(string cipherRoot, VolumeSecret recoveryKey)
    {
        string path = RecoveryRecord.PathFor(cipherRoot);
        VolumeConfig record = RecoveryRecord.Read(cipherRoot);
        var (keys, slot) = CryptVolume.Unlock(path, record, recoveryKey, ConfigDocument.RecoveryRecord);
        return new UnlockedVolume(cipherRoot, path, record, keys, slot, readOnly: true);
    }

    /// <summary>
    /// Writes a new cryptstack.conf (and .bak) from cs.recovery: the record's volume id, cipher suite, features and
    /// recovery slots, and a new passphrase slot. Refused while cryptstack.conf still opens with this recovery key
    /// (use <c>recover</c> then); a config that exists but is damaged, or belongs to another master key, is renamed
    /// to cryptstack.conf.damaged first (never deleted).
    /// </summary>
    public static RebuiltConfig RebuildConfig(string cipherRoot, VolumeSecret recoveryKey, VolumeSecret newPassphrase, KdfOptions? options = null)
    {
        if (recoveryKey.Kind != KeyslotKind.Recovery) throw new ArgumentException("a recovery key is needed", nameof(recoveryKey));
        if (newPassphrase.Kind == KeyslotKind.Recovery) throw new ArgumentException("the new secret must be a passphrase or key file", nameof(newPassphrase));
        using UnlockedVolume fromRecord = OpenRecord(cipherRoot, recoveryKey);
        var setAside = new List<string>();
        foreach (string path in new[] { CryptVolume.ConfigPathFor(cipherRoot), CryptVolume.BackupPathFor(cipherRoot) })
        {
            if (!File.Exists(path)) continue;
            if (OpensWith(path, fromRecord.Keys))
                throw new VolumeException(VolumeErrorKind.Refused, path == CryptVolume.ConfigPathFor(cipherRoot)
                    ? $"{path} is intact and opens with this recovery key; set a new passphrase with `cryptstack recover` instead of rebuilding"
                    : $"{path} is intact: copy it to {Path.GetFileName(CryptVolume.ConfigPathFor(cipherRoot))} instead of rebuilding");
            string aside = path + ".damaged";
            try { File.Move(path, aside, overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new VolumeException(VolumeErrorKind.Io, $"{path}: cannot move the damaged config aside ({e.Message})", e);
            }
            setAside.Add(aside);
        }

        VolumeConfig record = fromRecord.Config;
        int id = Enumerable.Range(0, VolumeConfigCodec.MaxSlotId + 1).First(i => record.Keyslots.All(s => s.Id != i));
        Keyslot slot = KeyslotCrypto.CreateSlot(id, newPassphrase, options ?? KdfOptions.Default, fromRecord.Keys, DateTime.UtcNow);
        VolumeConfig config = record with { Keyslots = [.. record.Keyslots, slot], Mac = [] };
        config = config with { Mac = VolumeConfigCodec.ComputeMac(config, fromRecord.Keys) };
        using var rebuilt = new UnlockedVolume(cipherRoot, CryptVolume.ConfigPathFor(cipherRoot), config,
            new KeyHierarchy(fromRecord.Keys.MasterKey, config.VolumeId), id);
        rebuilt.Save();
        return new RebuiltConfig(id, record.Keyslots.Select(s => s.Id).ToList(), setAside);
    }

    /// <summary>True when the config at <paramref name="path"/> parses and its MAC verifies under <paramref name="keys"/>.</summary>
    private static bool OpensWith(string path, KeyHierarchy keys)
    {
        try { return VolumeConfigCodec.VerifyMac(CryptVolume.Read(path), keys); }
        catch (VolumeException) { return false; }
    }
}
