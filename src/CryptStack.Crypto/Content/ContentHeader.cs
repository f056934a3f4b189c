using System.Buffers.Binary;
using System.Security.Cryptography;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Content;

/// <summary>
/// The 84-byte header of a content file (docs/format-content.md, "Header"):
/// <c>"CSF1" || version u16 BE || reserved u16 || fileId[16] || nonce[12] || AES-256-GCM(headerKey, fileKey[32]) || tag[16]</c>,
/// the first 24 bytes being the associated data. Each file has its own random key (as in eCryptfs), so a
/// master-key rotation rewraps headers and never re-encrypts blocks.
/// </summary>
public static class ContentHeader
{
    public const ushort CurrentVersion = 1;
    public const int FileIdSize = 16;
    public const int FileKeySize = 32;
    public const int HeaderKeySize = 32;

    private const int VersionOffset = 4;
    private const int ReservedOffset = 6;
    private const int FileIdOffset = 8;
    private const int AssociatedDataSize = 24;
    private const int NonceOffset = AssociatedDataSize;

    public static ReadOnlySpan<byte> Magic => "CSF1"u8;

    /// <summary>Writes a header wrapping <paramref name="fileKey"/> under <paramref name="headerKey"/> with a fresh random nonce.</summary>
    public static void Write(SecretKey headerKey, ReadOnlySpan<byte> fileId, ReadOnlySpan<byte> fileKey, Span<byte> header)
    {
        Span<byte> nonce = stackalloc byte[ContentLayout.NonceSize];
        RandomNumberGenerator.Fill(nonce);
        Write(headerKey, fileId, fileKey, nonce, header);
    }

    /// <summary>The deterministic form, for known-answer tests.</summary>
    internal static void Write(SecretKey headerKey, ReadOnlySpan<byte> fileId, ReadOnlySpan<byte> fileKey,
        ReadOnlySpan<byte> nonce, Span<byte> header)
    {
        CheckKeySize(headerKey);
        if (fileId.Length != FileIdSize) throw new ArgumentException($"file id must be {FileIdSize} bytes", nameof(fileId));
        if (fileKey.Length != FileKeySize) throw new ArgumentException($"file key must be {FileKeySize} bytes", nameof(fileKey));
        if (nonce.Length != ContentLayout.NonceSize) throw new ArgumentException("nonce must be 12 bytes", nameof(nonce));
        if (header.Length < ContentLayout.HeaderSize) throw new ArgumentException("header buffer too small", nameof(header));

        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(header[ReservedOffset..], 0);
        fileId.CopyTo(header[FileIdOffset..]);
        // Bytes 24..83 are exactly an AesGcmEnvelope: nonce || ciphertext || tag.
        AesGcmEnvelope.Seal(headerKey.Span, nonce, fileKey, header[..AssociatedDataSize]).CopyTo(header[NonceOffset..]);
    }

    /// <summary>
    /// Checks and unwraps a header. Returns the file key and copies the file id to <paramref name="fileId"/>.
    /// </summary>
    /// <exception cref="ContentHeaderException">Wrong magic, version or reserved field, or the key does not open it.</exception>
    public static SecretKey Open(ReadOnlySpan<byte> header, SecretKey headerKey, Span<byte> fileId)
    {
        CheckKeySize(headerKey);
        if (fileId.Length != FileIdSize) throw new ArgumentException($"file id must be {FileIdSize} bytes", nameof(fileId));
        if (header.Length < ContentLayout.HeaderSize)
            throw new ContentHeaderException($"header is {header.Length} bytes, shorter than {ContentLayout.HeaderSize}");
        if (!header[..4].SequenceEqual(Magic))
            throw new ContentHeaderException("not a CryptStack content file (header magic is not \"CSF1\")");
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(header[VersionOffset..]);
        if (version != CurrentVersion)
            throw new ContentHeaderException($"content format version {version} is not supported (this build reads version {CurrentVersion})");
        ushort reserved = BinaryPrimitives.ReadUInt16BigEndian(header[ReservedOffset..]);
        if (reserved != 0)
            throw new ContentHeaderException($"header reserved field is {reserved}, must be 0");

        var fileKey = new SecretKey(FileKeySize);
        try
        {
            AesGcmEnvelope.Open(headerKey.Span, header[NonceOffset..ContentLayout.HeaderSize], header[..AssociatedDataSize],
                fileKey.WritableSpan);
        }
        catch (AuthenticationTagMismatchException e)
        {
            fileKey.Dispose();
            throw new ContentHeaderException("header does not authenticate: wrong key, or the header was damaged", e);
        }
        header.Slice(FileIdOffset, FileIdSize).CopyTo(fileId);
        return fileKey;
    }

    /// <summary>
    /// Rewraps the same file key and id under <paramref name="newHeaderKey"/>, for master-key rotation:
    /// the blocks stay valid because neither the file key nor the file id changes.
    /// </summary>
    public static void Rewrap(ReadOnlySpan<byte> header, SecretKey oldHeaderKey, SecretKey newHeaderKey, Span<byte> newHeader)
    {
        Span<byte> fileId = stackalloc byte[FileIdSize];
        using SecretKey fileKey = Open(header, oldHeaderKey, fileId);
        Write(newHeaderKey, fileId, fileKey.Span, newHeader);
    }

    private static void CheckKeySize(SecretKey headerKey)
    {
        if (headerKey.Length != HeaderKeySize)
            throw new ArgumentException($"header key must be {HeaderKeySize} bytes", nameof(headerKey));
    }
}
