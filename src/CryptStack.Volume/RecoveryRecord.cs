using CryptStack.Crypto.Keys;

namespace CryptStack.Volume;

/// <summary>
/// cs.recovery in the ciphertext root: what the recovery key needs when cryptstack.conf and its .bak are both
/// gone (a `rm cryptstack.conf*`, a sync tool that lost them): the config's fields with its recovery keyslots
/// only, authenticated under the master key like the config but with its own canonical magic
/// (docs/format.md, section 3.4). Rewritten with the config on every keyslot change; removed when the volume
/// has no recovery slot left.
/// </summary>
public static class RecoveryRecord
{
    public const string FileName = "cs.recovery";

    public static string PathFor(string cipherRoot) => Path.Combine(cipherRoot, FileName);

    /// <summary>The record for <paramref name="config"/>, or null when it has no recovery slot.</summary>
    internal static VolumeConfig? For(VolumeConfig config, KeyHierarchy keys)
    {
        var slots = config.Keyslots.Where(s => s.Kind == KeyslotKind.Recovery).ToList();
        if (slots.Count == 0) return null;
        VolumeConfig record = config with { Keyslots = slots, Mac = [] };
        return record with { Mac = VolumeConfigCodec.ComputeMac(record, keys, ConfigDocument.RecoveryRecord) };
    }

    /// <summary>Writes (atomically) or removes the record so it matches <paramref name="config"/>.</summary>
    internal static void Save(string cipherRoot, VolumeConfig config, KeyHierarchy keys)
    {
        string path = PathFor(cipherRoot);
        VolumeConfig? record = For(config, keys);
        if (record != null)
        {
            AtomicFile.Write(path, VolumeConfigCodec.Serialize(record, ConfigDocument.RecoveryRecord));
            return;
        }
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.Io, $"{path}: cannot remove the recovery record of a volume without recovery slots ({e.Message})", e);
        }
    }

    /// <summary>Reads the record without a secret; nothing in it is authenticated until a recovery key opens it.</summary>
    public static VolumeConfig Read(string cipherRoot)
    {
        string path = PathFor(cipherRoot);
        byte[] content;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists && info.LinkTarget == null)
                throw new VolumeException(VolumeErrorKind.NotAVolume,
                    $"{path}: not found; without it (and without cryptstack.conf and its .bak) the recovery key cannot open the volume. A config backup (`cryptstack config restore`) can");
            var read = SmallRegularFile.Read(SmallRegularFile.AtCwd, path, VolumeConfigCodec.MaxConfigBytes);
            if (!read.Ok)
                throw new VolumeException(VolumeErrorKind.CorruptConfig, $"{path}: the recovery record {read.Problem}");
            content = read.Content!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.Io, $"{path}: cannot read ({e.Message})", e);
        }
        try { return VolumeConfigCodec.Parse(content, path, ConfigDocument.RecoveryRecord); }
        catch (VolumeException e) when (e.Kind == VolumeErrorKind.CorruptConfig)
        {
            throw new VolumeException(VolumeErrorKind.CorruptConfig, $"{path}: the recovery record is damaged ({e.Message})", e);
        }
    }
}
