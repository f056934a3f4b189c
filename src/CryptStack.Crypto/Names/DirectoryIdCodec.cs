using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Keys;

namespace CryptStack.Crypto.Names;

/// <summary>
/// Format version 2's cs.dirid (docs/format.md 5.1): the 16-byte id followed by a 32-byte HMAC-SHA256 that binds
/// it to the directory's place, the parent's id and the directory's own backing name:
/// <c>tag = HMAC(dirid key, ASCII("cryptstack v2 dirid") || place || id)</c> with
/// <c>place = 00</c> for the root, else <c>01 || parent id || u32be(len(backing name)) || backing name</c>.
/// A cs.dirid copied into another directory (the gocryptfs audit's section 2.3) no longer verifies there.
/// Renaming or moving a directory rewrites only its own cs.dirid (through cs.dirid.pending, section 5.1);
/// the ids, and so every name inside, stay as they are.
/// </summary>
public sealed class DirectoryIdCodec : IDisposable
{
    public const int TagSize = 32;
    public const int SealedSize = DirectoryId.Size + TagSize;
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("cryptstack v2 dirid");

    private readonly SecretKey _key;

    public DirectoryIdCodec(SecretKey key)
    {
        if (key.Length != KeyLabels.DirectoryIdMacSize) throw new ArgumentException("directory id key must be 32 bytes", nameof(key));
        _key = new SecretKey(key.Span);
    }

    public static DirectoryIdCodec FromKeys(KeyHierarchy keys)
    {
        using SecretKey key = keys.DeriveDirectoryIdMacKey();
        return new DirectoryIdCodec(key);
    }

    /// <summary>The cs.dirid content for <paramref name="id"/> at the root (<paramref name="parentId"/> empty) or in a parent under a backing name.</summary>
    public byte[] Seal(ReadOnlySpan<byte> id, ReadOnlySpan<byte> parentId, ReadOnlySpan<byte> backingName)
    {
        if (id.Length != DirectoryId.Size) throw new ArgumentException("directory id must be 16 bytes", nameof(id));
        var sealedId = new byte[SealedSize];
        id.CopyTo(sealedId);
        Tag(id, parentId, backingName, sealedId.AsSpan(DirectoryId.Size));
        return sealedId;
    }

    /// <summary>The id in <paramref name="content"/> if it is bound to this place; else <see cref="DirectoryIdException"/>.</summary>
    public byte[] Open(ReadOnlySpan<byte> content, ReadOnlySpan<byte> parentId, ReadOnlySpan<byte> backingName, string path)
    {
        if (content.Length != SealedSize)
            throw new DirectoryIdException($"{path}: directory id file is {content.Length} bytes, expected {SealedSize}; names in this directory cannot be decrypted (run fsck)");
        Span<byte> expected = stackalloc byte[TagSize];
        Tag(content[..DirectoryId.Size], parentId, backingName, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, content[DirectoryId.Size..]))
            throw new DirectoryIdException($"{path}: directory id does not belong to this directory (copied from another directory, or damaged); names in it are not trusted (run fsck)");
        return content[..DirectoryId.Size].ToArray();
    }

    private void Tag(ReadOnlySpan<byte> id, ReadOnlySpan<byte> parentId, ReadOnlySpan<byte> backingName, Span<byte> tag)
    {
        bool root = parentId.IsEmpty;
        if (!root && parentId.Length != DirectoryId.Size) throw new ArgumentException("parent id must be 16 bytes", nameof(parentId));
        var input = new byte[Label.Length + 1 + (root ? 0 : DirectoryId.Size + 4 + backingName.Length) + DirectoryId.Size];
        var w = input.AsSpan();
        Label.CopyTo(w);
        w = w[Label.Length..];
        w[0] = root ? (byte)0 : (byte)1;
        w = w[1..];
        if (!root)
        {
            parentId.CopyTo(w);
            BinaryPrimitives.WriteUInt32BigEndian(w[DirectoryId.Size..], (uint)backingName.Length);
            backingName.CopyTo(w[(DirectoryId.Size + 4)..]);
            w = w[(DirectoryId.Size + 4 + backingName.Length)..];
        }
        id.CopyTo(w);
        HMACSHA256.HashData(_key.Span, input, tag);
    }

    public void Dispose() => _key.Dispose();
}
