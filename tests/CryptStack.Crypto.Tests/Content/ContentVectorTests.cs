using System.Security.Cryptography;
using CryptStack.Crypto.Content;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>
/// Known-answer vectors of docs/format-content.md ("Test vectors"). They were computed independently
/// (Python's cryptography AESGCM); if one of these changes, the on-disk format changed.
/// </summary>
public class ContentVectorTests
{
    internal static readonly byte[] HeaderKey = Range(0x00, 32);
    internal static readonly byte[] FileKey = Range(0x20, 32);
    internal static readonly byte[] FileId = Range(0x40, 16);
    private static readonly byte[] HeaderNonce = Range(0x50, 12);

    private const string ExpectedHeader =
        "4353463100010000404142434445464748494a4b4c4d4e4f505152535455565758595a5b" +
        "b2061457c0759fc1749f174ee1ccadfad31ecfd81644ac151cb0dae0cc7dab4b" +
        "219517dc99491a78d64939555b3d7318";

    private const string ExpectedBlock0 =
        "606162636465666768696a6b0000000000000000" +
        "a1e6d4db87830f349a2f47de7925101252375151" +
        "711e1ca8bf2adf8915946dd91d8f";

    internal static byte[] Range(int first, int count) => Enumerable.Range(first, count).Select(b => (byte)b).ToArray();

    [Fact]
    public void Header_of_fixed_key_id_and_nonce_is_exact()
    {
        using var headerKey = new SecretKey(HeaderKey);
        var header = new byte[ContentLayout.HeaderSize];
        ContentHeader.Write(headerKey, FileId, FileKey, HeaderNonce, header);
        Assert.Equal(ExpectedHeader, Convert.ToHexStringLower(header));
    }

    [Fact]
    public void Header_vector_opens_to_the_file_key_and_id()
    {
        using var headerKey = new SecretKey(HeaderKey);
        var fileId = new byte[16];
        using SecretKey fileKey = ContentHeader.Open(Convert.FromHexString(ExpectedHeader), headerKey, fileId);
        Assert.Equal(FileKey, fileKey.Span.ToArray());
        Assert.Equal(FileId, fileId);
    }

    [Fact]
    public void Rewrapped_header_vector_is_exact()
    {
        using var oldKey = new SecretKey(HeaderKey);
        using var newKey = new SecretKey(Range(0x80, 32));
        var fileId = new byte[16];
        using SecretKey fileKey = ContentHeader.Open(Convert.FromHexString(ExpectedHeader), oldKey, fileId);
        var rewrapped = new byte[ContentLayout.HeaderSize];
        ContentHeader.Write(newKey, fileId, fileKey.Span, Range(0xa0, 12), rewrapped);
        Assert.Equal(
            "4353463100010000404142434445464748494a4b4c4d4e4fa0a1a2a3a4a5a6a7a8a9aaab" +
            "202e52137885b51756462c9da82ca4a99d1b34821bbdb41af899bc003cebefe3" +
            "ef5f6574250880ffddd3dc9893641bc6",
            Convert.ToHexStringLower(rewrapped));
    }

    [Fact]
    public void Short_final_block_vector_is_exact()
    {
        using var fileKey = new SecretKey(FileKey);
        using var cipher = new ContentBlockCipher(fileKey, FileId);
        var stored = new byte[18 + ContentLayout.BlockOverhead];
        cipher.Seal(0, 0, isFinal: true, Range(0x60, 12), "CryptStack block 0"u8, stored);
        Assert.Equal(ExpectedBlock0, Convert.ToHexStringLower(stored));

        var plain = new byte[18];
        Assert.Equal(0, cipher.Open(0, isFinal: true, stored, plain));
        Assert.Equal("CryptStack block 0"u8.ToArray(), plain);
    }

    [Fact]
    public void Full_block_with_holes_before_vector_is_exact()
    {
        using var fileKey = new SecretKey(FileKey);
        using var cipher = new ContentBlockCipher(fileKey, FileId);
        byte[] plain = Enumerable.Range(0, 4096).Select(i => (byte)(i % 251)).ToArray();
        var stored = new byte[ContentLayout.CipherBlockSize];
        cipher.Seal(3, 2, isFinal: false, Range(0x70, 12), plain, stored);
        Assert.Equal("707172737475767778797a7b0000000000000002", Convert.ToHexStringLower(stored.AsSpan(0, 20)));
        Assert.Equal("346cd3509191eccaf2c80a14a2e8d37a", Convert.ToHexStringLower(stored.AsSpan(4116)));
        Assert.Equal("fef839fbdbf24fd5f8d51a7d1ea06124fce159292866f2f1b579ec1382697300",
            Convert.ToHexStringLower(SHA256.HashData(stored)));
    }

    [Theory]
    [InlineData(1, 0, true)]   // another index
    [InlineData(0, 1, true)]   // another holesBefore (the stored field is rewritten too)
    [InlineData(0, 0, false)]  // sealed as last, opened as not last: the file was extended behind our back
    public void Block_vector_fails_anywhere_else(long index, long holesBefore, bool isFinal)
    {
        using var fileKey = new SecretKey(FileKey);
        using var cipher = new ContentBlockCipher(fileKey, FileId);
        byte[] stored = Convert.FromHexString(ExpectedBlock0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(12), holesBefore);
        var e = Assert.Throws<ContentIntegrityException>(() => cipher.Open(index, isFinal, stored, new byte[18]));
        Assert.Equal(index, e.BlockIndex);
    }

    [Fact]
    public void Block_of_another_file_fails()
    {
        using var fileKey = new SecretKey(FileKey);
        using var other = new ContentBlockCipher(fileKey, Range(0x41, 16));
        Assert.Throws<ContentIntegrityException>(() => other.Open(0, true, Convert.FromHexString(ExpectedBlock0), new byte[18]));
    }

    [Fact]
    public void Every_single_byte_change_of_the_header_is_rejected()
    {
        using var headerKey = new SecretKey(HeaderKey);
        byte[] header = Convert.FromHexString(ExpectedHeader);
        for (int i = 0; i < header.Length; i++)
            foreach (byte flip in new byte[] { 0x01, 0x80, 0xff })
            {
                byte[] damaged = (byte[])header.Clone();
                damaged[i] ^= flip;
                Assert.Throws<ContentHeaderException>(() => ContentHeader.Open(damaged, headerKey, new byte[16]));
            }
    }

    [Fact]
    public void Header_under_a_wrong_key_is_rejected_without_key_bytes_in_the_message()
    {
        using var wrongKey = new SecretKey(Range(0x01, 32));
        var e = Assert.Throws<ContentHeaderException>(() =>
            ContentHeader.Open(Convert.FromHexString(ExpectedHeader), wrongKey, new byte[16]));
        Assert.Contains("wrong key", e.Message);
        Assert.DoesNotContain(Convert.ToHexString(FileKey), e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(e.BlockIndex);
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(5, "version")]
    [InlineData(7, "reserved")]
    public void Header_field_errors_say_which_field(int offset, string word)
    {
        using var headerKey = new SecretKey(HeaderKey);
        byte[] header = Convert.FromHexString(ExpectedHeader);
        header[offset] ^= 0x02;
        var e = Assert.Throws<ContentHeaderException>(() => ContentHeader.Open(header, headerKey, new byte[16]));
        Assert.Contains(word, e.Message);
    }
}
