using System.Security.Cryptography;
using System.Text;

namespace CryptStack.Crypto.Keys;

/// <summary>
/// Owns the volume's 256-bit master key and hands out purpose-bound subkeys:
/// HKDF-SHA256(ikm = master key, salt = volume id, info = ASCII label). Every subkey is a fresh
/// <see cref="SecretKey"/> the caller disposes; this object zeroes its copy of the master key on dispose.
/// </summary>
public sealed class KeyHierarchy : IDisposable
{
    public const int MasterKeySize = 32;
    public const int VolumeIdSize = 16;

    private readonly SecretKey _masterKey;
    private readonly byte[] _volumeId;

    /// <summary>Copies <paramref name="masterKey"/>; the caller keeps ownership of its own copy.</summary>
    public KeyHierarchy(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> volumeId)
    {
        if (masterKey.Length != MasterKeySize) throw new ArgumentException($"master key must be {MasterKeySize} bytes", nameof(masterKey));
        if (volumeId.Length != VolumeIdSize) throw new ArgumentException($"volume id must be {VolumeIdSize} bytes", nameof(volumeId));
        _masterKey = new SecretKey(masterKey);
        _volumeId = volumeId.ToArray();
    }

    public ReadOnlySpan<byte> VolumeId => _volumeId;

    /// <summary>The raw master key, for wrapping it into keyslots. Never log or persist it unwrapped.</summary>
    public ReadOnlySpan<byte> MasterKey => _masterKey.Span;

    /// <summary>32-byte key the content layer uses to wrap per-file keys in file headers.</summary>
    public SecretKey DeriveContentHeaderKey() => Derive(KeyLabels.ContentHeaderWrap, KeyLabels.ContentHeaderWrapSize);

    /// <summary>64-byte AES-SIV key (AES-256) for file and directory names.</summary>
    public SecretKey DeriveNamesKey() => Derive(KeyLabels.Names, KeyLabels.NamesSize);

    /// <summary>32-byte AES-256-GCM key for symlink targets.</summary>
    public SecretKey DeriveLinkTargetsKey() => Derive(KeyLabels.LinkTargets, KeyLabels.LinkTargetsSize);

    /// <summary>64-byte AES-SIV key (AES-256) for xattr names.</summary>
    public SecretKey DeriveXattrNamesKey() => Derive(KeyLabels.XattrNames, KeyLabels.XattrNamesSize);

    /// <summary>32-byte AES-256-GCM key for xattr values.</summary>
    public SecretKey DeriveXattrValuesKey() => Derive(KeyLabels.XattrValues, KeyLabels.XattrValuesSize);

    /// <summary>32-byte HMAC-SHA256 key binding directory ids to their directories (format version 2).</summary>
    public SecretKey DeriveDirectoryIdMacKey() => Derive(KeyLabels.DirectoryIdMac, KeyLabels.DirectoryIdMacSize);

    /// <summary>32-byte HMAC-SHA256 key authenticating cryptstack.conf.</summary>
    public SecretKey DeriveConfigMacKey() => Derive(KeyLabels.ConfigMac, KeyLabels.ConfigMacSize);

    /// <summary>32-byte AES-256-GCM key wrapping the previous master key in cs.rekey while a rekey runs.</summary>
    public SecretKey DeriveRekeyWrapKey() => Derive(KeyLabels.RekeyPreviousKey, KeyLabels.RekeyPreviousKeySize);

    private SecretKey Derive(string label, int length)
    {
        var key = new SecretKey(length);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _masterKey.Span, key.WritableSpan, _volumeId, Encoding.ASCII.GetBytes(label));
        return key;
    }

    public override string ToString() => "KeyHierarchy(redacted)";

    public void Dispose() => _masterKey.Dispose();
}
