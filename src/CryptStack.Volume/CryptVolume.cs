using CryptStack.Crypto;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Names;

namespace CryptStack.Volume;

/// <summary>The result of <see cref="CryptVolume.Create"/>: the open volume and the recovery key to show once.</summary>
public sealed record CreatedVolume(UnlockedVolume Volume, string RecoveryKey);

/// <summary>
/// Creates, opens and inspects the volume config (cryptstack.conf) in a ciphertext root directory.
/// </summary>
public static class CryptVolume
{
    public static string ConfigPathFor(string cipherRoot) => Path.Combine(cipherRoot, BackingNames.ConfigFileName);

    public static string BackupPathFor(string cipherRoot) => Path.Combine(cipherRoot, BackingNames.ConfigBackupFileName);

    /// <summary>
    /// Creates a volume in the empty directory <paramref name="cipherRoot"/>: a random master key and volume
    /// id, slot 0 opened by <paramref name="firstSecret"/> (passphrase or key file), slot 1 a new recovery key,
    /// cryptstack.conf (+ .bak) and the root's cs.dirid.
    /// </summary>
    public static CreatedVolume Create(string cipherRoot, VolumeSecret firstSecret, KdfOptions? options = null)
    {
        if (firstSecret.Kind == KeyslotKind.Recovery)
            throw new VolumeException(VolumeErrorKind.InvalidArgument, "the first keyslot must be a passphrase or a key file; the recovery slot is added automatically");
        if (!Directory.Exists(cipherRoot)) throw new VolumeException(VolumeErrorKind.InvalidArgument, $"{cipherRoot}: directory does not exist");
        if (Directory.EnumerateFileSystemEntries(cipherRoot).Any())
            throw new VolumeException(VolumeErrorKind.DirectoryNotEmpty, $"{cipherRoot}: directory is not empty; create a volume in an empty directory");

        DateTime now = DateTime.UtcNow;
        byte[] volumeId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(FormatConstants.VolumeIdSize);
        using SecretKey masterKey = SecretKey.Random(KeyHierarchy.MasterKeySize);
        var keys = new KeyHierarchy(masterKey.Span, volumeId);
        try
        {
            using RecoveryKey recovery = RecoveryKey.Generate();
            using VolumeSecret recoverySecret = VolumeSecret.Recovery(recovery);
            KdfOptions kdf = options ?? KdfOptions.Default;
            var config = new VolumeConfig(
                FormatConstants.FormatVersion,
                volumeId,
                CipherSuite.V1,
                [.. FormatConstants.Version1Features, .. FormatConstants.Version2Features],
                VolumeConfigCodec.FormatTimestamp(now),
                [
                    KeyslotCrypto.CreateSlot(0, firstSecret, kdf, keys, now),
                    KeyslotCrypto.CreateSlot(1, recoverySecret, kdf, keys, now),
                ],
                []);
            config = config with { Mac = VolumeConfigCodec.ComputeMac(config, keys) };

            string configPath = ConfigPathFor(cipherRoot);
            // Version 2: the root's id is bound to the root (docs/format.md 5.1).
            using (var dirIds = DirectoryIdCodec.FromKeys(keys))
                AtomicFile.CreateNew(Path.Combine(cipherRoot, BackingNames.DirIdFileName), dirIds.Seal(DirectoryId.New(), default, default));
            var volume = new UnlockedVolume(cipherRoot, configPath, config, keys, unlockedSlotId: 0);
            volume.Save();
            return new CreatedVolume(volume, recovery.Format());
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the volume with a secret: tries every slot of the secret's kind, then verifies the config MAC
    /// under the unwrapped master key before returning it.
    /// </summary>
    public static UnlockedVolume Open(string cipherRoot, VolumeSecret secret)
    {
        string configPath = ConfigPathFor(cipherRoot);
        VolumeConfig config = Read(configPath);
        var (keys, slotId) = Unlock(configPath, config, secret, ConfigDocument.Config);
        return new UnlockedVolume(cipherRoot, configPath, config, keys, slotId);
    }

    /// <summary>
    /// Tries every slot of the secret's kind, then verifies the document's MAC under the unwrapped master key;
    /// returns the key hierarchy (the caller owns it) and the slot that opened.
    /// </summary>
    internal static (KeyHierarchy Keys, int SlotId) Unlock(string path, VolumeConfig config, VolumeSecret secret, ConfigDocument document)
    {
        string kindName = KindDescription(secret.Kind);
        var candidates = config.Keyslots.Where(s => s.Kind == secret.Kind).ToList();
        if (candidates.Count == 0) throw new VolumeException(VolumeErrorKind.WrongSecret, $"{path}: the volume has no {kindName} keyslot");

        foreach (var (slot, master) in TryEach(candidates, config.VolumeId, secret))
        {
            using var owned = master;
            var keys = new KeyHierarchy(master.Span, config.VolumeId);
            if (!VolumeConfigCodec.VerifyMac(config, keys, document))
            {
                keys.Dispose();
                throw new VolumeException(VolumeErrorKind.CorruptConfig, document == ConfigDocument.Config
                    ? $"{path}: config authentication failed: the file was changed after it was written (a keyslot, KDF parameter or feature flag differs). " +
                      $"If you did not edit it, restore {VolumeConfigCodec.BackupHint(path)}"
                    : $"{path}: authentication failed: the file was changed after it was written");
            }
            return (keys, slot.Id);
        }
        throw new VolumeException(VolumeErrorKind.WrongSecret, $"{path}: {kindName} does not open any keyslot");
    }

    /// <summary>
    /// Every candidate slot costs a full KDF, so they are tried side by side where there are cores (a wrong
    /// passphrase against five slots took five KDF times in a row). Yields the slot that opened with its
    /// master key (the caller owns it), or nothing; the others' keys are never kept.
    /// </summary>
    private static IEnumerable<(Keyslot Slot, SecretKey Master)> TryEach(List<Keyslot> candidates, byte[] volumeId, VolumeSecret secret)
    {
        if (candidates.Count == 1 || Environment.ProcessorCount == 1)
        {
            foreach (Keyslot slot in candidates)
                if (KeyslotCrypto.TryUnwrap(slot, volumeId, secret.Bytes) is { } master)
                {
                    yield return (slot, master);
                    yield break;
                }
            yield break;
        }
        (Keyslot, SecretKey)? found = null;
        var gate = new object();
        Parallel.ForEach(candidates, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(candidates.Count, Environment.ProcessorCount) }, (slot, state) =>
        {
            if (state.ShouldExitCurrentIteration) return;
            SecretKey? master = KeyslotCrypto.TryUnwrap(slot, volumeId, secret.Bytes);
            if (master is null) return;
            lock (gate)
            {
                // Two slots of one passphrase: keep the lowest id, as the sequential order did.
                if (found is { } other && other.Item1.Id < slot.Id) { master.Dispose(); return; }
                found?.Item2.Dispose();
                found = (slot, master);
            }
            state.Stop();
        });
        if (found is { } hit) yield return hit;
    }

    /// <summary>Reads the config without a secret. Nothing in it is authenticated until a slot is opened.</summary>
    public static VolumeInfo ReadInfo(string cipherRoot)
    {
        string configPath = ConfigPathFor(cipherRoot);
        return VolumeInfo.From(configPath, Read(configPath), authenticated: false);
    }

    internal static VolumeConfig Read(string configPath)
    {
        byte[] content;
        try
        {
            var info = new FileInfo(configPath);
            if (!info.Exists && info.LinkTarget == null)
            {
                string backup = configPath + ".bak";
                throw new VolumeException(VolumeErrorKind.NotAVolume, File.Exists(backup)
                    ? $"{configPath}: not found, but {backup} exists; if this is your volume, copy the backup to {Path.GetFileName(configPath)}"
                    : $"{configPath}: not found; is {Path.GetDirectoryName(configPath)} the ciphertext directory of a CryptStack volume?");
            }
            // Not File.ReadAllBytes: a FIFO planted as the config would block the mount forever, a symlink
            // would read a file outside the ciphertext directory.
            var read = SmallRegularFile.Read(SmallRegularFile.AtCwd, configPath, VolumeConfigCodec.MaxConfigBytes);
            if (!read.Ok)
                throw VolumeConfigCodec.Malformed(configPath, $"the file {read.Problem}");
            content = read.Content!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.Io, $"{configPath}: cannot read ({e.Message})", e);
        }
        return VolumeConfigCodec.Parse(content, configPath);
    }

    internal static string KindDescription(KeyslotKind kind) => kind switch
    {
        KeyslotKind.Passphrase => "passphrase",
        KeyslotKind.KeyFile => "key file",
        _ => "recovery key",
    };
}
