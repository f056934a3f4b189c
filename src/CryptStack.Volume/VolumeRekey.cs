using CryptStack.Crypto;
using CryptStack.Crypto.Keys;

namespace CryptStack.Volume;

/// <summary>How `cryptstack rekey` began: the volume under the new master key, and the new recovery key (null when resuming).</summary>
public sealed record RekeyStart(UnlockedVolume Volume, string? RecoveryKey, bool Resumed, IReadOnlyList<int> DroppedSlots);

/// <summary>
/// The config side of a master-key rotation (format.md section 4.2). <see cref="Begin"/> writes cs.rekey (the previous
/// master key wrapped under the new one), then the config with the new master key in the slot the secret opened (same
/// id, new salt), one new recovery slot in place of every old one, and the feature rekey-in-progress; the files are
/// then rekeyed (CryptStack.Offline); <see cref="Finish"/> drops the feature and removes cs.rekey. Each step is one
/// atomic file replacement, so a crash leaves either the old config (nothing rekeyed yet) or a config with the flag
/// (readers try both keys; running rekey again resumes).
/// </summary>
public static class VolumeRekey
{
    public static RekeyStart Begin(string cipherRoot, VolumeSecret secret, bool dropOtherSlots)
    {
        UnlockedVolume old = CryptVolume.Open(cipherRoot, secret);
        if (old.Config.FormatVersion >= 2)
        {
            old.Dispose();
            // A version 2 cs.dirid is sealed under a master-derived key for its backing name: rotating needs every
            // seal redone crash-safely, and readers that accept either seal meanwhile (format.md 4.2). Not yet.
            throw new VolumeException(VolumeErrorKind.Unsupported,
                $"{old.ConfigPath}: rekey of a format version {old.Config.FormatVersion} volume is not supported yet (its directory ids are sealed under the master key); nothing was changed");
        }
        if (old.RekeyInProgress)
        {
            _ = old.PreviousKeys;
            return new RekeyStart(old, null, Resumed: true, []);
        }
        try
        {
            if (secret.Kind == KeyslotKind.Recovery)
                throw new VolumeException(VolumeErrorKind.InvalidArgument, $"{old.ConfigPath}: rekey with a passphrase or key file; every recovery key is replaced by a new one");
            var others = old.Config.Keyslots.Where(s => s.Kind != KeyslotKind.Recovery && s.Id != old.UnlockedSlotId).Select(s => s.Id).ToList();
            if (others.Count > 0 && !dropOtherSlots)
                throw new VolumeException(VolumeErrorKind.Refused,
                    $"{old.ConfigPath}: keyslot(s) {string.Join(", ", others)} cannot be carried over: a slot can only be rewrapped with its own secret. " +
                    "Remove them first, or let rekey drop them (--drop-other-slots) and add them again afterwards");
            var dropped = old.Config.Keyslots.Where(s => s.Id != old.UnlockedSlotId).Select(s => s.Id).ToList();

            using SecretKey master = SecretKey.Random(KeyHierarchy.MasterKeySize);
            var keys = new KeyHierarchy(master.Span, old.Config.VolumeId);
            UnlockedVolume? rekeyed = null;
            try
            {
                Keyslot opened = old.Config.Keyslots.Single(s => s.Id == old.UnlockedSlotId);
                DateTime now = DateTime.UtcNow;
                Keyslot rewrapped = KeyslotCrypto.CreateSlot(opened.Id, secret, OptionsOf(opened.Kdf), keys, now);
                using RecoveryKey recovery = RecoveryKey.Generate();
                using VolumeSecret recoverySecret = VolumeSecret.Recovery(recovery);
                int recoveryId = Enumerable.Range(0, VolumeConfigCodec.MaxSlotId + 1).First(i => i != opened.Id);
                Keyslot recoverySlot = KeyslotCrypto.CreateSlot(recoveryId, recoverySecret, KdfOptions.Default, keys, now);

                // The journal first: until the config names the new key, nothing uses it.
                AtomicFile.Write(RekeyJournal.PathFor(cipherRoot), RekeyJournal.Encode(keys, old.Keys.MasterKey));
                RekeySteps.Step();
                rekeyed = new UnlockedVolume(cipherRoot, old.ConfigPath, old.Config, keys, opened.Id);
                rekeyed.Replace(old.Config with
                {
                    Keyslots = [.. new[] { rewrapped, recoverySlot }.OrderBy(s => s.Id)],
                    Features = [.. old.Config.Features, FormatConstants.FeatureRekeyInProgress],
                });
                _ = rekeyed.PreviousKeys;
                RekeySteps.Step();
                return new RekeyStart(rekeyed, recovery.Format(), Resumed: false, dropped);
            }
            catch
            {
                if (rekeyed != null) rekeyed.Dispose();
                else keys.Dispose();
                throw;
            }
        }
        finally { old.Dispose(); }
    }

    /// <summary>After every item is under the new key (and synced): the config without the flag, then cs.rekey removed.</summary>
    public static void Finish(UnlockedVolume volume)
    {
        if (!volume.RekeyInProgress) return;
        volume.Replace(volume.Config with { Features = volume.Config.Features.Where(f => f != FormatConstants.FeatureRekeyInProgress).ToList() });
        RekeySteps.Step();
        try { File.Delete(RekeyJournal.PathFor(volume.CipherRoot)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.Io, $"{RekeyJournal.PathFor(volume.CipherRoot)}: cannot remove the finished rekey journal ({e.Message})", e);
        }
    }

    private static KdfOptions OptionsOf(KdfSpec kdf) => kdf.Name switch
    {
        KdfNames.Argon2id => new KdfOptions
        {
            Algorithm = KdfNames.Argon2id, Argon2Iterations = (int)kdf.Parameter("iterations"),
            Argon2MemoryKiB = (int)kdf.Parameter("memoryKiB"), Argon2Parallelism = (int)kdf.Parameter("parallelism"),
        },
        KdfNames.Scrypt => new KdfOptions
        {
            Algorithm = KdfNames.Scrypt, ScryptCost = (int)kdf.Parameter("n"), ScryptBlockSize = (int)kdf.Parameter("r"),
            ScryptParallelism = (int)kdf.Parameter("p"),
        },
        _ => KdfOptions.Default,
    };
}
