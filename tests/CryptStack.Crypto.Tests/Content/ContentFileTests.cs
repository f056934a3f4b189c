using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

public class ContentFileTests
{
    private static byte[] Pattern(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Empty_file_is_a_zero_byte_backing_file_until_the_first_write()
    {
        using var t = new TempContentFile();
        Assert.Equal(0, t.Store.Length);
        Assert.Equal(0, t.File.Read(new byte[10], 0));
        t.File.SetLength(0);
        Assert.Equal(0, t.Store.Length);

        t.File.Write("x"u8, 0);
        Assert.Equal(HeaderSize + 1 + BlockOverhead, t.Store.Length);
        Assert.Equal("CSF1"u8.ToArray(), t.CipherBytes()[..4]);
        Assert.Equal(t.File.FileId.ToArray(), t.CipherBytes()[8..24]);
    }

    [Fact]
    public void Written_data_reads_back_after_reopen_and_the_backing_file_holds_no_plaintext()
    {
        using var t = new TempContentFile();
        byte[] data = "The quick brown fox jumps over the lazy dog. "u8.ToArray();
        byte[] text = Enumerable.Repeat(data, 300).SelectMany(b => b).ToArray();
        t.File.Write(text, 0);
        Assert.Equal(text.Length, t.File.PlainLength);
        Assert.Equal(CipherSizeFromPlainSize(text.Length), t.Store.Length);
        t.Reopen();
        Assert.Equal(text, t.ReadAll());
        Assert.True(t.CipherBytes().AsSpan().IndexOf("quick brown"u8) < 0);
    }

    [Fact]
    public void Reads_at_and_after_the_end_are_short()
    {
        using var t = new TempContentFile();
        t.File.Write(Pattern(5000), 0);
        var buffer = new byte[100];
        Assert.Equal(100, t.File.Read(buffer, 4900));
        Assert.Equal(50, t.File.Read(buffer, 4950));
        Assert.Equal(0, t.File.Read(buffer, 5000));
        Assert.Equal(0, t.File.Read(buffer, 1 << 30));
    }

    [Fact]
    public void Write_past_the_end_leaves_a_hole_that_reads_as_zeros_and_is_sparse()
    {
        using var t = new TempContentFile();
        t.File.Write("head"u8, 0);
        t.File.Write("tail"u8, 10 * PlainBlockSize + 7);
        byte[] all = t.ReadAll();
        Assert.Equal(10 * PlainBlockSize + 11, all.Length);
        Assert.Equal("head"u8.ToArray(), all[..4]);
        Assert.All(all[4..^4], b => Assert.Equal(0, b));
        // Blocks 1..9 are holes; SEEK_HOLE finds them, SEEK_DATA skips them.
        Assert.Equal(PlainBlockSize, t.File.SeekHole(0));
        Assert.Equal(10 * PlainBlockSize, t.File.SeekData(PlainBlockSize));
        Assert.Equal(-1, t.File.SeekData(all.Length));
        StoredBlocks.AssertHoleCountsExact(t.Store);
    }

    [Fact]
    public void Huge_hole_reads_zeros_without_reading_it_all()
    {
        using var t = new TempContentFile();
        long far = 1L << 36; // 64 GiB plaintext: the backing file is sparse too
        t.File.Write("end"u8, far);
        Assert.Equal(far + 3, t.File.PlainLength);
        var buffer = new byte[8192];
        buffer.AsSpan().Fill(0xee);
        Assert.Equal(8192, t.File.Read(buffer, far / 2 + 5));
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Equal(BlockIndexOf(far) * PlainBlockSize, t.File.SeekData(1));
        Assert.Equal(1, t.File.SeekHole(1));
        var tail = new byte[3];
        t.File.Read(tail, far);
        Assert.Equal("end"u8.ToArray(), tail);
    }

    [Fact]
    public void Truncate_down_and_up_at_unaligned_offsets()
    {
        using var t = new TempContentFile();
        byte[] data = Pattern(3 * PlainBlockSize + 100);
        t.File.Write(data, 0);
        t.File.SetLength(PlainBlockSize + 10);
        Assert.Equal(data[..(PlainBlockSize + 10)], t.ReadAll());
        t.File.SetLength(5 * PlainBlockSize + 1);
        byte[] all = t.ReadAll();
        Assert.Equal(data[..(PlainBlockSize + 10)], all[..(PlainBlockSize + 10)]);
        Assert.All(all[(PlainBlockSize + 10)..], b => Assert.Equal(0, b));
        t.File.SetLength(2 * PlainBlockSize);
        Assert.Equal(2 * PlainBlockSize, t.Reopen().PlainLength);
        Assert.Equal(all[..(2 * PlainBlockSize)], t.ReadAll());
        StoredBlocks.AssertHoleCountsExact(t.Store);
        t.File.SetLength(0);
        // Down to nothing, header and all: the next write starts a fresh file id and key.
        Assert.Equal(0, t.Store.Length);
        t.Reopen();
        Assert.Empty(t.ReadAll());
    }

    [Fact]
    public void Writing_into_a_hole_reseals_the_block_after_it()
    {
        using var t = new TempContentFile();
        t.File.Write("a"u8, 0);
        t.File.Write("z"u8, 8 * PlainBlockSize);
        t.File.Write("m"u8, 4 * PlainBlockSize + 9);
        StoredBlocks.AssertHoleCountsExact(t.Store);
        byte[] all = t.ReadAll();
        Assert.Equal((byte)'m', all[4 * PlainBlockSize + 9]);
        Assert.Equal((byte)'z', all[8 * PlainBlockSize]);
    }

    [Fact]
    public void Punch_hole_makes_whole_blocks_holes_and_zeroes_the_edges()
    {
        using var t = new TempContentFile();
        byte[] data = Pattern(8 * PlainBlockSize + 5);
        t.File.Write(data, 0);
        long cipherLength = t.Store.Length;
        t.File.PunchHole(PlainBlockSize + 100, 5 * PlainBlockSize);
        Assert.Equal(cipherLength, t.Store.Length);
        Array.Clear(data, PlainBlockSize + 100, 5 * PlainBlockSize);
        Assert.Equal(data, t.ReadAll());
        Assert.Equal(2 * PlainBlockSize, t.File.SeekHole(0));
        StoredBlocks.AssertHoleCountsExact(t.Store);
        // Blocks 2..5 are ciphertext holes: all-zero stored bytes.
        byte[] cipher = t.CipherBytes();
        Assert.True(cipher.AsSpan((int)CipherOffsetOfBlock(2), 4 * CipherBlockSize).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Zero_range_without_keep_size_extends_and_with_keep_size_does_not()
    {
        using var t = new TempContentFile();
        t.File.Write(Pattern(1000), 0);
        t.File.ZeroRange(500, 10_000, keepSize: true);
        Assert.Equal(1000, t.File.PlainLength);
        t.File.ZeroRange(500, 10_000);
        Assert.Equal(10_500, t.File.PlainLength);
        byte[] all = t.ReadAll();
        Assert.Equal(Pattern(1000)[..500], all[..500]);
        Assert.All(all[500..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Header_is_rewrapped_under_a_new_key_and_blocks_stay_valid()
    {
        using var t = new TempContentFile();
        byte[] data = Pattern(10_000);
        t.File.Write(data, 0);
        byte[] before = t.CipherBytes();
        using var newKey = new SecretKey(ContentVectorTests.Range(0x80, 32));
        ContentFile.RewrapHeader(t.Store, t.HeaderKey, newKey);
        byte[] after = t.CipherBytes();
        Assert.Equal(before[HeaderSize..], after[HeaderSize..]);
        Assert.Throws<ContentHeaderException>(() => ContentFile.Open(t.Store, t.HeaderKey));
        using var reopened = ContentFile.Open(t.Store, newKey);
        var buffer = new byte[data.Length];
        Assert.Equal(data.Length, reopened.Read(buffer, 0));
        Assert.Equal(data, buffer);
        Assert.Equal(t.File.FileId.ToArray(), reopened.FileId.ToArray());
    }

    [Fact]
    public void Works_on_a_store_that_cannot_punch_holes()
    {
        var store = new MemoryStore();
        using var key = new SecretKey(ContentVectorTests.HeaderKey);
        using var file = ContentFile.Create(store, key);
        file.Write(Pattern(6 * PlainBlockSize), 0);
        file.PunchHole(PlainBlockSize, 3 * PlainBlockSize);
        byte[] expected = Pattern(6 * PlainBlockSize);
        Array.Clear(expected, PlainBlockSize, 3 * PlainBlockSize);
        var buffer = new byte[expected.Length];
        Assert.Equal(expected.Length, file.Read(buffer, 0));
        Assert.Equal(expected, buffer);
        // Without SEEK_HOLE in the store only the block at the offset is looked at; lseek(2) allows reporting less.
        Assert.Equal(2 * PlainBlockSize, file.SeekHole(2 * PlainBlockSize));
        Assert.Equal(expected.Length, file.SeekHole(0));
        StoredBlocks.AssertHoleCountsExact(store);
    }

    [Fact]
    public void Sizes_past_the_largest_representable_file_are_refused()
    {
        using var t = new TempContentFile();
        Assert.True(CipherSizeFromPlainSize(MaxPlainSize) > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.File.Write("x"u8, MaxPlainSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.File.SetLength(MaxPlainSize + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.File.ZeroRange(long.MaxValue - 5, 10));
        t.File.PunchHole(long.MaxValue - 5, 10);
        Assert.Equal(0, t.File.PlainLength);
    }

    [Fact]
    public void Two_instances_opened_on_an_empty_file_agree_on_the_header_the_first_writer_wrote()
    {
        using var t = new TempContentFile();
        using var second = ContentFile.Open(t.Store, t.HeaderKey);
        t.File.Write("aaa"u8, 0);
        second.Write("bbb"u8, 3);
        Assert.Equal(t.File.FileId.ToArray(), second.FileId.ToArray());
        Assert.Equal("aaabbb"u8.ToArray(), t.ReadAll());
    }
}
