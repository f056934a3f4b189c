using System.Buffers.Binary;
using System.Security.Cryptography;
using CryptStack.Crypto;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Volume;

/// <summary>
/// cs.rekey in the ciphertext root while `cryptstack rekey` runs (format.md section 4.2): the previous master key,
/// wrapped under a subkey of the new one, so that a volume whose items are partly under each key stays readable
/// with any secret of the new config, and an interrupted rekey can finish. 82 bytes:
/// <c>"CSRK" || u16be(1) || volumeId (16) || nonce (12) || AES-256-GCM(rekey wrap key, previous master key) || tag (16)</c>,
/// the first 22 bytes being the associated data. The previous key never protects the new one, so a leftover journal
/// gives nothing to someone holding only the previous key.
/// </summary>
public static class RekeyJournal
{
    public const string FileName = "cs.rekey";
    public const ushort Version = 1;
    private const int AssociatedDataSize = 4 + 2 + FormatConstants.VolumeIdSize;
    public const int Size = AssociatedDataSize + AesGcmEnvelope.NonceSize + KeyHierarchy.MasterKeySize + 16;

    private static ReadOnlySpan<byte> Magic => "CSRK"u8;

    public static string PathFor(string cipherRoot) => Path.Combine(cipherRoot, FileName);

    internal static byte[] Encode(KeyHierarchy newKeys, ReadOnlySpan<byte> previousMasterKey)
    {
        var content = new byte[Size];
        Magic.CopyTo(content);
        BinaryPrimitives.WriteUInt16BigEndian(content.AsSpan(4), Version);
        newKeys.VolumeId.CopyTo(content.AsSpan(6));
        using SecretKey wrap = newKeys.DeriveRekeyWrapKey();
        AesGcmEnvelope.Seal(wrap.Span, previousMasterKey, content.AsSpan(0, AssociatedDataSize)).CopyTo(content.AsSpan(AssociatedDataSize));
        return content;
    }

    /// <summary>The previous master key's hierarchy, from the journal of a volume whose config says a rekey is running.</summary>
    internal static KeyHierarchy Load(string cipherRoot, KeyHierarchy newKeys)
    {
        string path = PathFor(cipherRoot);
        byte[] content;
        try { content = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException(VolumeErrorKind.CorruptConfig,
                $"{path}: cannot read ({e.Message}); the config says a rekey is running, and the files not yet rekeyed need this file");
        }
        if (content.Length != Size || !content.AsSpan(0, 4).SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt16BigEndian(content.AsSpan(4)) != Version
            || !content.AsSpan(6, FormatConstants.VolumeIdSize).SequenceEqual(newKeys.VolumeId))
            throw new VolumeException(VolumeErrorKind.CorruptConfig, $"{path}: not the rekey journal of this volume");
        using SecretKey wrap = newKeys.DeriveRekeyWrapKey();
        using var previous = new SecretKey(KeyHierarchy.MasterKeySize);
        try { AesGcmEnvelope.Open(wrap.Span, content.AsSpan(AssociatedDataSize), content.AsSpan(0, AssociatedDataSize), previous.WritableSpan); }
        catch (AuthenticationTagMismatchException)
        {
            throw new VolumeException(VolumeErrorKind.CorruptConfig, $"{path}: the rekey journal does not authenticate under the master key");
        }
        return new KeyHierarchy(previous.Span, newKeys.VolumeId);
    }
}
