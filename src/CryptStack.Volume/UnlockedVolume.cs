using CryptStack.Crypto.Keys;

namespace CryptStack.Volume;

/// <summary>
/// An opened volume: the key hierarchy for the mount, and keyslot management. Every change rewrites
/// cryptstack.conf atomically with a fresh MAC and then refreshes cryptstack.conf.bak; the master key,
/// and therefore every file, stays the same. Not safe against two processes changing slots at once.
/// </summary>
public sealed class UnlockedVolume : IDisposable
{
    internal UnlockedVolume(string cipherRoot, string configPath, VolumeConfig config, KeyHierarchy keys, int unlockedSlotId, bool readOnly = false)
    {
        ReadOnly = readOnly;
        CipherRoot = cipherRoot;
        ConfigPath = configPath;
        Config = config;
        Keys = keys;
        UnlockedSlotId = unlockedSlotId;
    }

    public string CipherRoot { get; }
    public string ConfigPath { get; }

    /// <summary>The authenticated config as last written.</summary>
    public VolumeConfig Config { get; private set; }

    /// <summary>The master key and its subkeys; disposed with this object.</summary>
    public KeyHierarchy Keys { get; }

    /// <summary>
    /// Opened from something other than the volume's own config (its recovery record, or its .bak for reading):
    /// good for reading files, never saved (`cryptstack recover --rebuild-config` writes a new config).
    /// </summary>
    public bool ReadOnly { get; }

    private KeyHierarchy? _previousKeys;

    /// <summary>True while an interrupted or running `cryptstack rekey` leaves items under the previous master key.</summary>
    public bool RekeyInProgress => Config.Features.Contains(FormatConstants.FeatureRekeyInProgress);

    /// <summary>
    /// The previous master key's hierarchy while <see cref="RekeyInProgress"/> (from cs.rekey), else null: readers try
    /// the current keys first and these second.
    /// </summary>
    public KeyHierarchy? PreviousKeys => RekeyInProgress ? _previousKeys ??= RekeyJournal.Load(CipherRoot, Keys) : null;

    /// <summary>The slot whose secret opened the volume.</summary>
    public int UnlockedSlotId { get; }

    public VolumeInfo Info => VolumeInfo.From(ConfigPath, Config, authenticated: true);

    public IReadOnlyList<KeyslotInfo> ListSlots() => Info.Keyslots;

    /// <summary>Adds a slot opened by <paramref name="secret"/> (any kind); returns its id.</summary>
    public int AddSlot(VolumeSecret secret, KdfOptions? options = null)
    {
        int id = FreeSlotId();
        Keyslot slot = KeyslotCrypto.CreateSlot(id, secret, options ?? KdfOptions.Default, Keys, DateTime.UtcNow);
        Commit([.. Config.Keyslots, slot]);
        return id;
    }

    /// <summary>Adds a slot for a new random recovery key; returns the slot id and the key's human form (show it once).</summary>
    public (int SlotId, string RecoveryKey) AddRecoverySlot()
    {
        using RecoveryKey recovery = RecoveryKey.Generate();
        using VolumeSecret secret = VolumeSecret.Recovery(recovery);
        return (AddSlot(secret), recovery.Format());
    }

    /// <summary>
    /// Removes a slot. Refuses to remove the only slot, and (unless <paramref name="force"/>) the last
    /// passphrase or key-file slot, which would leave only the recovery key as a way in.
    /// </summary>
    public void RemoveSlot(int slotId, bool force = false)
    {
        Keyslot slot = FindSlot(slotId);
        var remaining = Config.Keyslots.Where(s => s.Id != slotId).ToList();
        if (remaining.Count == 0)
            throw new VolumeException(VolumeErrorKind.Refused, $"{ConfigPath}: slot {slotId} is the only keyslot; removing it would lock the volume forever");
        if (!force && slot.Kind != KeyslotKind.Recovery && remaining.All(s => s.Kind == KeyslotKind.Recovery))
            throw new VolumeException(VolumeErrorKind.Refused, $"{ConfigPath}: slot {slotId} is the last passphrase or key-file slot; add another first, or force removal to keep only the recovery key");
        Commit(remaining);
    }

    /// <summary>Rewraps the master key in passphrase slot <paramref name="slotId"/> under a new passphrase (new salt, same id).</summary>
    public void ChangePassphrase(int slotId, VolumeSecret newPassphrase, KdfOptions? options = null)
    {
        Keyslot old = FindSlot(slotId);
        if (old.Kind != KeyslotKind.Passphrase) throw new VolumeException(VolumeErrorKind.InvalidArgument, $"{ConfigPath}: slot {slotId} is not a passphrase slot");
        if (newPassphrase.Kind != KeyslotKind.Passphrase) throw new ArgumentException("the new secret must be a passphrase", nameof(newPassphrase));
        Keyslot replacement = KeyslotCrypto.CreateSlot(slotId, newPassphrase, options ?? KdfOptions.Default, Keys, DateTime.UtcNow);
        Commit(Config.Keyslots.Select(s => s.Id == slotId ? replacement : s).ToList());
    }

    /// <summary>Replaces the config (new slots, features) under this volume's keys and saves it, .bak and record.</summary>
    internal void Replace(VolumeConfig config)
    {
        VolumeConfig updated = config with { Mac = [] };
        Config = updated with { Mac = VolumeConfigCodec.ComputeMac(updated, Keys) };
        Save();
    }

    internal void Save()
    {
        if (ReadOnly) throw new InvalidOperationException($"{ConfigPath} was opened for reading only");
        byte[] content = VolumeConfigCodec.Serialize(Config);
        AtomicFile.Write(ConfigPath, content);
        // The backup always equals the current config, so it guards against a damaged file (bit rot,
        // a half-synced upload), and a removed or changed slot does not live on in it.
        AtomicFile.Write(ConfigPath + ".bak", content);
        // Last: a crash before this leaves the record one change behind, which the next change repairs.
        RecoveryRecord.Save(CipherRoot, Config, Keys);
    }

    /// <summary>
    /// Writes cs.recovery for the current config (or removes it when there is no recovery slot): for volumes made
    /// before the record existed, which otherwise get it at their next keyslot change.
    /// </summary>
    public void SaveRecoveryRecord()
    {
        if (ReadOnly) throw new InvalidOperationException($"{ConfigPath} was opened for reading only");
        RecoveryRecord.Save(CipherRoot, Config, Keys);
    }

    private void Commit(List<Keyslot> slots)
    {
        if (slots.Count > VolumeConfigCodec.MaxKeyslots) throw new VolumeException(VolumeErrorKind.Refused, $"{ConfigPath}: at most {VolumeConfigCodec.MaxKeyslots} keyslots");
        VolumeConfig updated = Config with { Keyslots = slots, Mac = [] };
        Config = updated with { Mac = VolumeConfigCodec.ComputeMac(updated, Keys) };
        Save();
    }

    private Keyslot FindSlot(int slotId) =>
        Config.Keyslots.FirstOrDefault(s => s.Id == slotId)
        ?? throw new VolumeException(VolumeErrorKind.InvalidArgument, $"{ConfigPath}: there is no keyslot {slotId}");

    private int FreeSlotId()
    {
        for (int id = 0; id <= VolumeConfigCodec.MaxSlotId; id++)
        {
            if (Config.Keyslots.All(s => s.Id != id)) return id;
        }
        throw new VolumeException(VolumeErrorKind.Refused, $"{ConfigPath}: all {VolumeConfigCodec.MaxKeyslots} keyslots are in use; remove one first");
    }

    public override string ToString() => $"UnlockedVolume({CipherRoot}, slot {UnlockedSlotId})";

    public void Dispose()
    {
        Keys.Dispose();
        _previousKeys?.Dispose();
    }
}
