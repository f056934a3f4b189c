using CryptStack.Crypto;

namespace CryptStack.Volume;

/// <summary>One finding about the config files: the file, what is wrong (or, for a note, what is so), in words.</summary>
public sealed record ConfigFinding(string Path, string What, bool IsProblem = true);

/// <summary>
/// fsck's view of the files that hold the keys: cryptstack.conf, its .bak and cs.recovery, checked against the master
/// key an opened volume holds (each must parse and authenticate, the .bak must equal the config, the record must hold
/// exactly the config's recovery slots), and every keyslot the given secret opens (each must give the same master key).
/// </summary>
public static class ConfigInspection
{
    public static IReadOnlyList<ConfigFinding> Inspect(UnlockedVolume volume, VolumeSecret secret)
    {
        var findings = new List<ConfigFinding>();
        string root = volume.CipherRoot;
        string configPath = CryptVolume.ConfigPathFor(root), backupPath = CryptVolume.BackupPathFor(root);
        VolumeConfig? config = ReadVerified(configPath, volume, ConfigDocument.Config, findings, "the volume config");
        VolumeConfig? backup = ReadVerified(backupPath, volume, ConfigDocument.Config, findings, "the config's backup copy");
        if (config != null && backup != null && !File.ReadAllBytes(configPath).AsSpan().SequenceEqual(File.ReadAllBytes(backupPath)))
            findings.Add(new ConfigFinding(backupPath, "differs from cryptstack.conf (both authenticate): it should be an identical copy, rewritten after every save"));

        VolumeConfig reference = config ?? backup ?? volume.Config;
        CheckRecord(root, reference, volume, findings);
        CheckSlots(reference, volume, secret, config != null ? configPath : backup != null ? backupPath : volume.ConfigPath, findings);
        return findings;
    }

    /// <summary>
    /// --repair for the config files, from whichever of cryptstack.conf and its .bak authenticates: the other is rewritten
    /// from it (a damaged config is kept as cryptstack.conf.damaged), and cs.recovery is rewritten to match (removed when
    /// the config has no recovery slot: it would still open with a removed recovery key). Returns each file changed and
    /// what was done. Nothing is done when neither authenticates (`cryptstack recover --rebuild-config` is for that).
    /// </summary>
    public static IReadOnlyList<(string Path, string Done)> Repair(UnlockedVolume volume)
    {
        var done = new List<(string, string)>();
        var ignored = new List<ConfigFinding>();
        string root = volume.CipherRoot;
        string configPath = CryptVolume.ConfigPathFor(root), backupPath = CryptVolume.BackupPathFor(root);
        VolumeConfig? config = ReadVerified(configPath, volume, ConfigDocument.Config, ignored, "");
        VolumeConfig? backup = ReadVerified(backupPath, volume, ConfigDocument.Config, ignored, "");
        if (config != null)
        {
            byte[] content = File.ReadAllBytes(configPath);
            if (backup == null || !content.AsSpan().SequenceEqual(File.ReadAllBytes(backupPath)))
            {
                AtomicFile.Write(backupPath, content);
                done.Add((backupPath, "rewritten as a copy of cryptstack.conf"));
            }
        }
        else if (backup != null)
        {
            string note = "";
            if (File.Exists(configPath))
            {
                File.Move(configPath, configPath + ".damaged", overwrite: false);
                note = " (the damaged file kept as cryptstack.conf.damaged)";
            }
            AtomicFile.Write(configPath, File.ReadAllBytes(backupPath));
            done.Add((configPath, "restored from cryptstack.conf.bak" + note));
        }
        VolumeConfig? reference = config ?? backup;
        if (reference == null) return done;
        string recordPath = RecoveryRecord.PathFor(root);
        VolumeConfig? expected = RecoveryRecord.For(reference, volume.Keys);
        byte[]? current = File.Exists(recordPath) ? File.ReadAllBytes(recordPath) : null;
        byte[]? wanted = expected == null ? null : VolumeConfigCodec.Serialize(expected, ConfigDocument.RecoveryRecord);
        bool same = current == null ? wanted == null : wanted != null && current.AsSpan().SequenceEqual(wanted);
        if (!same)
        {
            RecoveryRecord.Save(root, reference, volume.Keys);
            done.Add((recordPath, wanted == null ? "removed (the config has no recovery slot)" : "rewritten from the config"));
        }
        return done;
    }

    private static VolumeConfig? ReadVerified(string path, UnlockedVolume volume, ConfigDocument document, List<ConfigFinding> findings, string what)
    {
        if (!File.Exists(path))
        {
            findings.Add(new ConfigFinding(path, $"missing ({what})"));
            return null;
        }
        try
        {
            VolumeConfig config = document == ConfigDocument.Config ? CryptVolume.Read(path) : RecoveryRecord.Read(volume.CipherRoot);
            if (!config.VolumeId.AsSpan().SequenceEqual(volume.Keys.VolumeId))
            {
                findings.Add(new ConfigFinding(path, $"belongs to another volume (volume id {Convert.ToHexStringLower(config.VolumeId)})"));
                return null;
            }
            if (!VolumeConfigCodec.VerifyMac(config, volume.Keys, document))
            {
                findings.Add(new ConfigFinding(path, $"does not authenticate under the master key: it was changed after it was written, or belongs to an older master key ({what})"));
                return null;
            }
            return config;
        }
        catch (VolumeException e)
        {
            findings.Add(new ConfigFinding(path, $"cannot be used ({what}): {e.Message}"));
            return null;
        }
    }

    private static void CheckRecord(string root, VolumeConfig config, UnlockedVolume volume, List<ConfigFinding> findings)
    {
        string path = RecoveryRecord.PathFor(root);
        var recoverySlots = config.Keyslots.Where(s => s.Kind == KeyslotKind.Recovery).ToList();
        if (recoverySlots.Count == 0)
        {
            if (File.Exists(path))
                findings.Add(new ConfigFinding(path, "the config has no recovery slot, but this recovery record still opens with an old recovery key"));
            return;
        }
        if (!File.Exists(path))
        {
            // Volumes made before the record existed get it at their next keyslot change.
            findings.Add(new ConfigFinding(path, "no recovery record yet: the recovery key opens the volume only while cryptstack.conf or its .bak is there " +
                "(`cryptstack config save-recovery` writes it)", IsProblem: false));
            return;
        }
        VolumeConfig? record = ReadVerified(path, volume, ConfigDocument.RecoveryRecord, findings, "the recovery record, which opens the volume with the recovery key when the config is lost");
        if (record == null) return;
        VolumeConfig? expected = RecoveryRecord.For(config, volume.Keys);
        if (expected == null || !VolumeConfigCodec.Serialize(expected, ConfigDocument.RecoveryRecord).AsSpan()
                .SequenceEqual(VolumeConfigCodec.Serialize(record, ConfigDocument.RecoveryRecord)))
            findings.Add(new ConfigFinding(path, "is behind the config (its recovery slots or fields differ from cryptstack.conf's)"));
    }

    private static void CheckSlots(VolumeConfig config, UnlockedVolume volume, VolumeSecret secret, string path, List<ConfigFinding> findings)
    {
        foreach (Keyslot slot in config.Keyslots.Where(s => s.Kind == secret.Kind))
        {
            using SecretKey? master = KeyslotCrypto.TryUnwrap(slot, config.VolumeId, secret.Bytes);
            if (master is null) continue;
            if (master.Span.SequenceEqual(volume.Keys.MasterKey))
                findings.Add(new ConfigFinding(path, $"keyslot {slot.Id} ({FormatConstants.KindName(slot.Kind)}) opens with the given secret", IsProblem: false));
            else
                findings.Add(new ConfigFinding(path, $"keyslot {slot.Id} opens with the given secret but holds a different master key: remove it (`cryptstack key remove`)"));
        }
    }
}
