using CryptStack.Crypto.Content;
using Xunit.Abstractions;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>
/// Seeded random operations applied to a content file and to a plain byte model; after every step the
/// lengths, the whole content and the hole bookkeeping must agree. A failure prints the seed and step.
/// </summary>
public class ContentDifferentialTests(ITestOutputHelper output)
{
    private const int MaxBlocks = 40;

    [Theory]
    [InlineData(1, 2500)]
    [InlineData(2, 1500)]
    public void Random_operations_on_a_real_file_match_a_byte_model(int seed, int steps)
    {
        using var t = new TempContentFile();
        Run(seed, steps, () => t.File, () => t.Reopen(), t.Store);
    }

    [Fact]
    public void Random_operations_on_a_store_without_hole_support_match_a_byte_model()
    {
        var store = new MemoryStore();
        using var key = new SecretKey(ContentVectorTests.HeaderKey);
        ContentFile file = ContentFile.Create(store, key);
        try
        {
            Run(3, 1000, () => file, () => { file.Dispose(); return file = ContentFile.Open(store, key); }, store);
        }
        finally
        {
            file.Dispose();
        }
    }

    private void Run(int seed, int steps, Func<ContentFile> current, Func<ContentFile> reopen, IRandomAccessStore store)
    {
        var rnd = new Random(seed);
        var model = new Model();
        var readBuffer = new byte[(MaxBlocks + 80) * PlainBlockSize];
        string last = "";
        try
        {
            for (int step = 0; step < steps; step++)
            {
                ContentFile file = current();
                int op = rnd.Next(100);
                if (op < 40)
                {
                    long offset = Offset(rnd, model.Length);
                    byte[] data = new byte[Length(rnd)];
                    rnd.NextBytes(data);
                    last = $"Write({data.Length}, {offset})";
                    file.Write(data, offset);
                    model.Write(data, offset);
                }
                else if (op < 55)
                {
                    long length = Offset(rnd, model.Length);
                    last = $"SetLength({length})";
                    file.SetLength(length);
                    model.SetLength(length);
                }
                else if (op < 67)
                {
                    long offset = Offset(rnd, model.Length), length = Length(rnd);
                    last = $"PunchHole({offset}, {length})";
                    file.PunchHole(offset, length);
                    model.Zero(offset, Math.Min(offset + length, model.Length));
                }
                else if (op < 77)
                {
                    long offset = Offset(rnd, model.Length), length = Length(rnd);
                    bool keepSize = rnd.Next(2) == 0;
                    last = $"ZeroRange({offset}, {length}, {keepSize})";
                    file.ZeroRange(offset, length, keepSize);
                    long end = offset + length;
                    if (!keepSize && end > model.Length) model.SetLength(end);
                    model.Zero(offset, Math.Min(end, model.Length));
                }
                else if (op < 92)
                {
                    long offset = Offset(rnd, model.Length);
                    int length = Length(rnd);
                    last = $"Read({length}, {offset})";
                    int n = file.Read(readBuffer.AsSpan(0, length), offset);
                    Assert.Equal(model.Slice(offset, length), readBuffer.AsSpan(0, n).ToArray());
                    continue;
                }
                else if (op < 97)
                {
                    long offset = Offset(rnd, model.Length);
                    last = $"Seek({offset})";
                    CheckSeeks(file, model, offset);
                    continue;
                }
                else
                {
                    last = "Reopen";
                    file = reopen();
                }

                file = current();
                Assert.Equal(model.Length, file.PlainLength);
                if (model.Length == 0) Assert.True(store.Length is 0 or HeaderSize);
                else Assert.Equal(CipherSizeFromPlainSize(model.Length), store.Length);
                int read = file.Read(readBuffer.AsSpan(0, (int)model.Length + 1), 0);
                Assert.Equal(model.Length, read);
                Assert.True(model.Bytes.AsSpan(0, read).SequenceEqual(readBuffer.AsSpan(0, read)), "content differs");
                if (step % 8 == 0) StoredBlocks.AssertHoleCountsExact(store);
            }
        }
        catch
        {
            output.WriteLine($"seed {seed}: failed at {last}, model length {model.Length}");
            throw;
        }
    }

    private static void CheckSeeks(ContentFile file, Model model, long offset)
    {
        long data = file.SeekData(offset), hole = file.SeekHole(offset);
        if (offset >= model.Length)
        {
            Assert.Equal(-1, data);
            Assert.Equal(-1, hole);
            return;
        }
        // Whatever SEEK_DATA skips and whatever SEEK_HOLE calls a hole reads as zeros; holes are whole blocks.
        Assert.InRange(data, offset, model.Length - 1);
        Assert.True(model.IsZero(offset, data), "SeekData skipped data");
        Assert.InRange(hole, offset, model.Length);
        if (hole < model.Length)
            Assert.True(model.IsZero(hole, Math.Min(model.Length, PlainOffsetOfBlock(BlockIndexOf(hole) + 1))), "SeekHole reported data");
    }

    /// <summary>Offsets cluster on block boundaries, where the bugs live.</summary>
    private static long Offset(Random rnd, long length)
    {
        long limit = Math.Max(length, 1) + 3 * PlainBlockSize;
        long offset = rnd.Next(4) switch
        {
            0 => rnd.NextInt64(limit),
            1 => (long)rnd.Next(MaxBlocks) * PlainBlockSize + rnd.Next(-2, 3),
            2 => length + rnd.Next(-3, 4),
            _ => (long)rnd.Next(MaxBlocks) * PlainBlockSize,
        };
        return Math.Clamp(offset, 0, MaxBlocks * PlainBlockSize);
    }

    private static int Length(Random rnd) => rnd.Next(10) switch
    {
        0 => rnd.Next(1, 4),
        1 or 2 => PlainBlockSize + rnd.Next(-2, 3),
        3 => 2 * PlainBlockSize + rnd.Next(-2, 3),
        4 => rnd.Next(1, 10) * PlainBlockSize,
        5 => rnd.Next(66, 72) * PlainBlockSize + rnd.Next(-2, 3), // more than one chunk of 64 blocks
        _ => rnd.Next(1, 3 * PlainBlockSize),
    };

    private sealed class Model
    {
        public byte[] Bytes = new byte[1 << 20];
        public long Length;

        public void Write(byte[] data, long offset)
        {
            Ensure(offset + data.Length);
            data.CopyTo(Bytes, offset);
            Length = Math.Max(Length, offset + data.Length);
        }

        public void SetLength(long length)
        {
            Ensure(length);
            if (length < Length) Array.Clear(Bytes, (int)length, (int)(Length - length));
            Length = length;
        }

        public void Zero(long from, long to)
        {
            if (from < to) Array.Clear(Bytes, (int)from, (int)(to - from));
        }

        public byte[] Slice(long offset, int count) =>
            offset >= Length ? [] : Bytes.AsSpan((int)offset, (int)Math.Min(count, Length - offset)).ToArray();

        public bool IsZero(long from, long to) => from >= to || Bytes.AsSpan((int)from, (int)(to - from)).IndexOfAnyExcept((byte)0) < 0;

        private void Ensure(long length)
        {
            if (length > Bytes.Length) Array.Resize(ref Bytes, (int)Math.Max(length, 2L * Bytes.Length));
        }
    }
}
