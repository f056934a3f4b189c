using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>What an attacker with write access to the ciphertext can do, and that each is an error on read.</summary>
public class ContentTamperTests
{
    private const int Blocks = 5;
    private static readonly byte[] Data = MakeData();

    private static byte[] MakeData()
    {
        var data = new byte[Blocks * PlainBlockSize - 123];
        new Random(7).NextBytes(data);
        return data;
    }

    private static TempContentFile FileWithFiveBlocks()
    {
        var t = new TempContentFile();
        t.File.Write(Data, 0);
        return t;
    }

    private static void AssertBlockFails(TempContentFile t, long index)
    {
        var e = Assert.Throws<ContentIntegrityException>(() => t.ReadBlock(index));
        Assert.Equal(index, e.BlockIndex);
        Assert.Contains($"block {index}", e.Message);
    }

    private static void AssertBlockReads(TempContentFile t, long index)
    {
        long start = PlainOffsetOfBlock(index);
        int length = PlainLengthOfBlock(index, Data.Length);
        Assert.Equal(Data.AsSpan((int)start, length).ToArray(), t.ReadBlock(index));
    }

    [Fact]
    public void Read_of_a_block_with_a_flipped_byte_fails_and_other_blocks_still_read()
    {
        foreach (int at in new[] { 0, 12, 19, 20, 2000, CipherBlockSize - 1 })
        {
            using var t = FileWithFiveBlocks();
            byte[] b = new byte[1];
            t.Store.ReadAt(b, CipherOffsetOfBlock(1) + at);
            b[0] ^= 0x40;
            t.WriteCipher(CipherOffsetOfBlock(1) + at, b);
            AssertBlockFails(t, 1);
            foreach (long other in new long[] { 0, 2, 3, 4 }) AssertBlockReads(t, other);
            // A read spanning the damaged block fails as a whole.
            Assert.Throws<ContentIntegrityException>(() => t.File.Read(new byte[3 * PlainBlockSize], 0));
        }
    }

    [Fact]
    public void Zeroed_data_block_is_detected_not_read_as_a_hole()
    {
        using var t = FileWithFiveBlocks();
        t.WriteCipher(CipherOffsetOfBlock(2), new byte[CipherBlockSize]);
        AssertBlockFails(t, 2);
        foreach (long other in new long[] { 0, 1, 3, 4 }) AssertBlockReads(t, other);
        Assert.Throws<ContentIntegrityException>(() => t.File.Write("x"u8, PlainOffsetOfBlock(2) + 5));
    }

    [Fact]
    public void Zeroed_data_block_next_to_a_legit_hole_is_detected_and_the_hole_still_reads()
    {
        using var t = new TempContentFile();
        t.File.Write(Data.AsSpan(0, 2 * PlainBlockSize), 0);   // blocks 0, 1
        t.File.Write(Data.AsSpan(0, 100), 4 * PlainBlockSize); // blocks 2, 3 holes, block 4 last
        t.WriteCipher(CipherOffsetOfBlock(1), new byte[CipherBlockSize]);
        AssertBlockFails(t, 1);
        Assert.Equal(new byte[PlainBlockSize], t.ReadBlock(2));
        Assert.Equal(new byte[PlainBlockSize], t.ReadBlock(3));
        Assert.Equal(Data[..100], t.ReadBlock(4));
    }

    [Fact]
    public void Zeroed_last_block_is_detected()
    {
        using var t = FileWithFiveBlocks();
        t.WriteCipher(CipherOffsetOfBlock(4), new byte[StoredLengthOfBlock(4, t.Store.Length)]);
        AssertBlockFails(t, 4);
        AssertBlockReads(t, 3);
    }

    [Fact]
    public void Cutting_the_file_at_a_block_boundary_is_detected()
    {
        using var t = FileWithFiveBlocks();
        t.Store.SetLength(CipherOffsetOfBlock(3));
        Assert.Equal(3 * PlainBlockSize, t.Reopen().PlainLength);
        AssertBlockFails(t, 2); // sealed as not last
        AssertBlockReads(t, 0);
        AssertBlockReads(t, 1);
    }

    [Fact]
    public void Cutting_the_file_inside_a_blocks_overhead_is_detected_at_the_end()
    {
        using var t = FileWithFiveBlocks();
        t.Store.SetLength(CipherOffsetOfBlock(3) + 20);
        Assert.Equal(3 * PlainBlockSize, t.Reopen().PlainLength);
        var e = Assert.Throws<ContentIntegrityException>(() => t.ReadAll());
        Assert.Equal(3, e.BlockIndex);
        Assert.Throws<ContentIntegrityException>(() => t.File.Write("x"u8, 0));
        // Truncating repairs it: block 2 is resealed as the last block.
        t.File.SetLength(3 * PlainBlockSize);
        Assert.Equal(Data[..(3 * PlainBlockSize)], t.ReadAll());
    }

    [Fact]
    public void Cutting_the_file_to_its_header_or_to_nothing_reads_as_empty()
    {
        using var t = FileWithFiveBlocks();
        t.Store.SetLength(HeaderSize);
        Assert.Empty(t.ReadAll());
        t.Store.SetLength(0);
        Assert.Empty(t.ReadAll());
    }

    [Fact]
    public void Appending_a_block_of_zeros_is_detected()
    {
        using var t = new TempContentFile();
        t.File.Write(Data.AsSpan(0, 2 * PlainBlockSize), 0);
        t.WriteCipher(CipherOffsetOfBlock(2), new byte[CipherBlockSize]);
        Assert.Throws<ContentIntegrityException>(() => t.ReadAll());
        AssertBlockFails(t, 1); // sealed as last, now read as not last
    }

    [Fact]
    public void Swapping_two_blocks_is_detected()
    {
        using var t = FileWithFiveBlocks();
        byte[] cipher = t.CipherBytes();
        t.WriteCipher(CipherOffsetOfBlock(1), cipher.AsSpan((int)CipherOffsetOfBlock(2), CipherBlockSize));
        t.WriteCipher(CipherOffsetOfBlock(2), cipher.AsSpan((int)CipherOffsetOfBlock(1), CipherBlockSize));
        AssertBlockFails(t, 1);
        AssertBlockFails(t, 2);
        AssertBlockReads(t, 3);
    }

    [Fact]
    public void A_block_copied_from_another_file_is_detected()
    {
        using var t = FileWithFiveBlocks();
        using var other = FileWithFiveBlocks();
        t.WriteCipher(CipherOffsetOfBlock(1), other.CipherBytes().AsSpan((int)CipherOffsetOfBlock(1), CipherBlockSize));
        AssertBlockFails(t, 1);
    }

    [Fact]
    public void Raising_holes_before_to_cover_a_zeroed_block_is_detected()
    {
        using var t = FileWithFiveBlocks();
        t.WriteCipher(CipherOffsetOfBlock(2), new byte[CipherBlockSize]);
        t.WriteCipher(CipherOffsetOfBlock(3) + NonceSize, new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 });
        AssertBlockFails(t, 3);
        Assert.Throws<ContentIntegrityException>(() => t.ReadBlock(2));
    }

    [Fact]
    public void A_corrupt_header_is_detected_at_open()
    {
        using var t = FileWithFiveBlocks();
        foreach (int at in new[] { 0, 4, 6, 8, 30, 50, 83 })
        {
            byte[] b = new byte[1];
            t.Store.ReadAt(b, at);
            b[0] ^= 0x10;
            t.WriteCipher(at, b);
            Assert.Throws<ContentHeaderException>(() => ContentFile.Open(t.Store, t.HeaderKey));
            b[0] ^= 0x10;
            t.WriteCipher(at, b);
        }
        t.Reopen();
        Assert.Equal(Data, t.ReadAll());
    }

    [Fact]
    public void A_backing_file_shorter_than_a_header_is_detected()
    {
        using var t = FileWithFiveBlocks();
        foreach (long length in new long[] { 1, 40, HeaderSize - 1 })
        {
            t.Store.SetLength(length);
            var e = Assert.Throws<ContentHeaderException>(() => ContentFile.Open(t.Store, t.HeaderKey));
            Assert.Contains($"{length} bytes", e.Message);
            Assert.Throws<ContentHeaderException>(() => t.File.Read(new byte[1], 0));
        }
    }

    [Fact]
    public void A_wrong_header_key_is_detected_at_open()
    {
        using var t = FileWithFiveBlocks();
        using var wrong = new SecretKey(ContentVectorTests.Range(0x33, 32));
        Assert.Throws<ContentHeaderException>(() => ContentFile.Open(t.Store, wrong));
    }
}
