namespace CryptStack.Crypto.Keys;

/// <summary>
/// HKDF-SHA256 info labels (ASCII) and output lengths for every subkey of the master key.
/// Changing any of these changes the on-disk format; they are frozen by the vectors in docs/format.md.
/// </summary>
public static class KeyLabels
{
    public const string ContentHeaderWrap = "cryptstack v1 content header wrap";
    public const string Names = "cryptstack v1 names";
    public const string LinkTargets = "cryptstack v1 link targets";
    public const string XattrNames = "cryptstack v1 xattr";
    public const string XattrValues = "cryptstack v1 xattr values";
    public const string ConfigMac = "cryptstack v1 config mac";

    /// <summary>Format version 2: HMAC-SHA256 key binding each cs.dirid to its directory's place (docs/format.md 5.1).</summary>
    public const string DirectoryIdMac = "cryptstack v2 dirid mac";

    /// <summary>Wraps the previous master key in cs.rekey while a rekey runs (format.md section 4.2).</summary>
    public const string RekeyPreviousKey = "cryptstack v1 rekey previous key";

    /// <summary>Keyslot KEK labels (HKDF over the key file or recovery key bytes, salt = the slot salt).</summary>
    public const string KeyFileSlot = "cryptstack v1 keyfile slot";
    public const string RecoverySlot = "cryptstack v1 recovery slot";

    public const int ContentHeaderWrapSize = 32;
    public const int NamesSize = 64;
    public const int LinkTargetsSize = 32;
    public const int XattrNamesSize = 64;
    public const int XattrValuesSize = 32;
    public const int ConfigMacSize = 32;
    public const int DirectoryIdMacSize = 32;

    public const int RekeyPreviousKeySize = 32;
}
