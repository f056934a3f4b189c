namespace CryptStack.Volume;

public enum KeyslotKind
{
    Passphrase,
    KeyFile,
    Recovery,
}

public static class KdfNames
{
    public const string Argon2id = "argon2id";
    public const string Scrypt = "scrypt";
    public const string Hkdf = "hkdf";
}

/// <summary>The values of every name the config records; anything else is refused at open.</summary>
public static class FormatConstants
{
    /// <summary>The version new volumes get (docs/format.md); versions from <see cref="OldestFormatVersion"/> on keep opening.</summary>
    public const int FormatVersion = 2;
    public const int OldestFormatVersion = 1;
    public const int VolumeIdSize = 16;

    public const string ContentCipher = "aes-256-gcm-4096";
    public const string NameCipher = "aes-siv-cmac-512";
    public const string KeyWrapCipher = "aes-256-gcm";
    public const string KeyDerivation = "hkdf-sha256";

    public const string FeatureDirIds = "dir-ids";
    public const string FeatureLongNames = "long-names";
    public const string FeatureEncryptedLinkTargets = "encrypted-link-targets";
    public const string FeatureEncryptedXattrs = "encrypted-xattrs";

    /// <summary>Version 2: each cs.dirid is bound to its directory's place (docs/format.md 5.1).</summary>
    public const string FeatureBoundDirIds = "bound-dir-ids";

    public static IReadOnlyList<string> Version1Features { get; } =
        [FeatureDirIds, FeatureLongNames, FeatureEncryptedLinkTargets, FeatureEncryptedXattrs];

    public static IReadOnlyList<string> Version2Features { get; } = [FeatureBoundDirIds];

    /// <summary>
    /// Set while `cryptstack rekey` runs (format.md section 4.2): items are under the new master key or the previous
    /// one, which cs.rekey holds wrapped under the new one. A CryptStack that does not know it refuses the volume.
    /// </summary>
    public const string FeatureRekeyInProgress = "rekey-in-progress";

    public static IReadOnlyList<string> KnownFeatures { get; } = [.. Version1Features, .. Version2Features, FeatureRekeyInProgress];

    public static string KindName(KeyslotKind kind) => kind switch
    {
        KeyslotKind.Passphrase => "passphrase",
        KeyslotKind.KeyFile => "keyfile",
        KeyslotKind.Recovery => "recovery",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

public sealed record CipherSuite(string Content, string Names, string KeyWrap, string KeyDerivation)
{
    public static CipherSuite V1 { get; } = new(
        FormatConstants.ContentCipher, FormatConstants.NameCipher, FormatConstants.KeyWrapCipher, FormatConstants.KeyDerivation);
}

/// <summary>How a slot's key-encryption key is derived. Parameters are sorted by name (ordinal).</summary>
public sealed record KdfSpec(string Name, IReadOnlyList<KeyValuePair<string, long>> Parameters, byte[] Salt)
{
    public long Parameter(string name)
    {
        foreach (var (key, value) in Parameters)
        {
            if (key == name) return value;
        }
        throw new KeyNotFoundException(name);
    }
}

/// <summary>One keyslot: the master key wrapped under a KEK derived from one secret.</summary>
public sealed record Keyslot(int Id, KeyslotKind Kind, string CreatedUtc, KdfSpec Kdf, byte[] Nonce, byte[] WrappedKey);

/// <summary>The parsed contents of cryptstack.conf.</summary>
public sealed record VolumeConfig(
    int FormatVersion,
    byte[] VolumeId,
    CipherSuite CipherSuite,
    IReadOnlyList<string> Features,
    string CreatedUtc,
    IReadOnlyList<Keyslot> Keyslots,
    byte[] Mac);

/// <summary>What `cryptstack info` and `slots list` show: no salts, no wrapped keys, no secrets.</summary>
public sealed record KeyslotInfo(int Id, KeyslotKind Kind, string CreatedUtc, string Kdf, IReadOnlyList<KeyValuePair<string, long>> KdfParameters);

/// <summary>
/// The config as read without a secret. <see cref="Authenticated"/> is false: anyone with write access
/// to the ciphertext could have changed it, which is only detected when a slot is unlocked.
/// </summary>
public sealed record VolumeInfo(
    string ConfigPath,
    int FormatVersion,
    string VolumeId,
    CipherSuite CipherSuite,
    IReadOnlyList<string> Features,
    string CreatedUtc,
    IReadOnlyList<KeyslotInfo> Keyslots,
    bool Authenticated)
{
    internal static VolumeInfo From(string configPath, VolumeConfig config, bool authenticated) => new(
        configPath,
        config.FormatVersion,
        Convert.ToHexStringLower(config.VolumeId),
        config.CipherSuite,
        config.Features,
        config.CreatedUtc,
        config.Keyslots.Select(s => new KeyslotInfo(s.Id, s.Kind, s.CreatedUtc, s.Kdf.Name, s.Kdf.Parameters)).ToList(),
        authenticated);
}
