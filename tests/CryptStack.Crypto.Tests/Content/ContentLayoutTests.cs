using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

public class ContentLayoutTests
{
    private const long LastSmallPlainSize = 3 * PlainBlockSize + 50;

    /// <summary>The format described block by block, slowly and without division: the reference for the arithmetic.</summary>
    private static long ReferencePlainSize(long cipherSize)
    {
        if (cipherSize <= HeaderSize) return 0;
        long rest = cipherSize - HeaderSize, plain = 0;
        while (rest >= CipherBlockSize) { rest -= CipherBlockSize; plain += PlainBlockSize; }
        return plain + Math.Max(0, rest - BlockOverhead);
    }

    private static long ReferenceCipherSize(long plainSize)
    {
        if (plainSize == 0) return 0;
        long cipher = HeaderSize;
        while (plainSize >= PlainBlockSize) { plainSize -= PlainBlockSize; cipher += CipherBlockSize; }
        return cipher + (plainSize == 0 ? 0 : plainSize + BlockOverhead);
    }

    [Fact]
    public void Sizes_are_those_of_the_format()
    {
        Assert.Equal(84, HeaderSize);
        Assert.Equal(36, BlockOverhead);
        Assert.Equal(4132, CipherBlockSize);
    }

    [Fact]
    public void Every_small_plain_size_round_trips_through_its_cipher_size()
    {
        for (long plain = 0; plain <= LastSmallPlainSize; plain++)
        {
            long cipher = CipherSizeFromPlainSize(plain);
            Assert.Equal(ReferenceCipherSize(plain), cipher);
            Assert.Equal(plain, PlainSizeFromCipherSize(cipher));
            Assert.False(IsCipherSizeDamaged(cipher));
            Assert.Equal(BlockCountOfPlainSize(plain), BlockCountOfCipherSize(cipher));
        }
    }

    [Fact]
    public void Every_small_cipher_size_maps_like_the_reference_and_damaged_sizes_are_flagged()
    {
        long maxCipher = CipherSizeFromPlainSize(LastSmallPlainSize) + CipherBlockSize;
        var written = new HashSet<long> { HeaderSize }; // a file truncated to 0 keeps its header
        for (long plain = 0; plain <= LastSmallPlainSize + PlainBlockSize; plain++) written.Add(CipherSizeFromPlainSize(plain));
        for (long cipher = 0; cipher <= maxCipher; cipher++)
        {
            Assert.Equal(ReferencePlainSize(cipher), PlainSizeFromCipherSize(cipher));
            // Every size no writer produces is damaged, and every damaged size is one no writer produces.
            Assert.Equal(!written.Contains(cipher), IsCipherSizeDamaged(cipher));
        }
    }

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(83L, 0L)]
    [InlineData(84L, 0L)]
    [InlineData(85L, 0L)]      // 1 byte of a block: damaged
    [InlineData(120L, 0L)]     // 36 bytes: damaged, a tag and no ciphertext
    [InlineData(121L, 1L)]
    [InlineData(84L + 4132, 4096L)]
    [InlineData(84L + 4132 + 36, 4096L)]
    [InlineData(84L + 4132 + 37, 4097L)]
    public void Plain_size_of_boundary_cipher_sizes(long cipher, long plain) =>
        Assert.Equal(plain, PlainSizeFromCipherSize(cipher));

    [Fact]
    public void Sizes_near_two_to_the_40_round_trip()
    {
        for (long baseSize = 1L << 40; baseSize <= (1L << 40) + 2 * PlainBlockSize; baseSize += PlainBlockSize)
            for (long plain = baseSize - 40; plain <= baseSize + 40; plain++)
            {
                long cipher = CipherSizeFromPlainSize(plain);
                Assert.Equal(plain, PlainSizeFromCipherSize(cipher));
                long blocks = plain / PlainBlockSize, rest = plain % PlainBlockSize;
                Assert.Equal(HeaderSize + blocks * CipherBlockSize + (rest == 0 ? 0 : rest + BlockOverhead), cipher);
            }
        // 2^40 bytes is exactly 2^28 full blocks.
        Assert.Equal(HeaderSize + (1L << 28) * CipherBlockSize, CipherSizeFromPlainSize(1L << 40));
    }

    [Fact]
    public void Block_index_and_offsets_agree_for_every_small_offset()
    {
        for (long offset = 0; offset <= LastSmallPlainSize; offset++)
        {
            long block = BlockIndexOf(offset);
            int inBlock = OffsetInBlock(offset);
            Assert.Equal(offset, PlainOffsetOfBlock(block) + inBlock);
            Assert.InRange(inBlock, 0, PlainBlockSize - 1);
            long cipherOffset = CipherOffsetOfBlock(block);
            Assert.Equal(HeaderSize + block * CipherBlockSize, cipherOffset);
            Assert.Equal(block, BlockIndexOfCipherOffset(cipherOffset));
            Assert.Equal(block, BlockIndexOfCipherOffset(cipherOffset + CipherBlockSize - 1));
        }
    }

    [Fact]
    public void Block_lengths_add_up_to_the_file_for_every_small_size()
    {
        for (long plain = 0; plain <= LastSmallPlainSize; plain += 7)
        {
            long cipher = CipherSizeFromPlainSize(plain);
            long blocks = BlockCountOfPlainSize(plain);
            long plainSum = 0, storedSum = 0;
            for (long i = 0; i < blocks; i++)
            {
                int length = PlainLengthOfBlock(i, plain);
                Assert.True(length == PlainBlockSize || i == blocks - 1, "only the last block may be short");
                Assert.Equal(length + BlockOverhead, StoredLengthOfBlock(i, cipher));
                plainSum += length;
                storedSum += StoredLengthOfBlock(i, cipher);
            }
            Assert.Equal(plain, plainSum);
            Assert.Equal(cipher, plain == 0 ? 0 : HeaderSize + storedSum);
            Assert.Equal(0, PlainLengthOfBlock(blocks, plain));
            Assert.Equal(plain == 0 ? 0 : StoredLengthOfBlock(blocks - 1, cipher), LastStoredBlockSize(cipher));
        }
    }

    [Fact]
    public void Negative_sizes_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PlainSizeFromCipherSize(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CipherSizeFromPlainSize(-1));
    }
}
