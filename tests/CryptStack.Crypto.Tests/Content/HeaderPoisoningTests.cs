using CryptStack.Crypto.Content;
using static CryptStack.Crypto.Content.ContentLayout;

namespace CryptStack.Crypto.Tests.Content;

/// <summary>
/// Header poisoning (issue 10 item 1; gocryptfs audit 2017, section 2.2): an attacker copies file A's header over
/// file B's. Whatever the user then does to B, nothing is written under A's file key and id, so no block of A
/// spliced into B ever reads back as B's content.
/// </summary>
public class HeaderPoisoningTests
{
    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] HeaderOf(TempContentFile t) => t.CipherBytes()[..HeaderSize];

    private static byte[] StoredBlock(TempContentFile t, int index) =>
        t.CipherBytes().AsSpan((int)CipherOffsetOfBlock(index), CipherBlockSize).ToArray();

    [Fact]
    public void Truncate_to_zero_then_write_starts_a_fresh_file_id_and_key_so_a_spliced_block_of_the_header_owner_fails()
    {
        using var a = new TempContentFile();
        a.File.Write(Data(3 * PlainBlockSize, 1), 0);
        using var b = new TempContentFile();
        b.File.Write(Data(3 * PlainBlockSize, 2), 0);

        b.WriteCipher(0, HeaderOf(a));
        b.Reopen();
        // The usual rewrite: shell `>`, cp, an editor's save.
        b.File.SetLength(0);
        Assert.Equal(0, new FileInfo(b.Path).Length);
        b.File.Write(Data(3 * PlainBlockSize, 3), 0);

        Assert.NotEqual(a.File.FileId.ToArray(), b.File.FileId.ToArray());
        Assert.NotEqual(HeaderOf(a).AsSpan(8, 16).ToArray(), HeaderOf(b).AsSpan(8, 16).ToArray());
        b.WriteCipher(CipherOffsetOfBlock(1), StoredBlock(a, 1));
        b.Reopen();
        Assert.Throws<ContentIntegrityException>(() => b.ReadBlock(1));
    }

    [Fact]
    public void Write_into_a_file_whose_header_no_block_authenticates_is_refused_and_changes_nothing()
    {
        using var a = new TempContentFile();
        a.File.Write(Data(2 * PlainBlockSize, 1), 0);
        using var b = new TempContentFile();
        b.File.Write(Data(2 * PlainBlockSize, 2), 0);
        b.WriteCipher(0, HeaderOf(a));
        b.Reopen();
        byte[] before = b.CipherBytes();

        Assert.Throws<ContentIntegrityException>(() => b.File.Write(Data(100, 3), 10));
        Assert.Throws<ContentIntegrityException>(() => b.File.Write(Data(100, 3), 2 * PlainBlockSize));
        Assert.Throws<ContentIntegrityException>(() => b.File.SetLength(PlainBlockSize));
        Assert.Equal(before, b.CipherBytes());
    }

    [Fact]
    public void A_header_only_file_with_a_copied_header_gets_a_fresh_one_at_its_first_write()
    {
        using var a = new TempContentFile();
        a.File.Write(Data(2 * PlainBlockSize, 1), 0);
        using var b = new TempContentFile();
        b.WriteCipher(0, HeaderOf(a));
        b.Reopen();
        Assert.Equal(0, b.File.PlainLength);

        b.File.Write(Data(PlainBlockSize, 4), 0);
        Assert.NotEqual(HeaderOf(a), HeaderOf(b));
        Assert.NotEqual(a.File.FileId.ToArray(), b.File.FileId.ToArray());
        b.Reopen();
        Assert.Equal(Data(PlainBlockSize, 4), b.ReadAll());
    }

    [Fact]
    public void A_reader_engine_follows_a_fresh_header_written_by_another_engine()
    {
        using var t = new TempContentFile();
        t.File.Write(Data(2 * PlainBlockSize, 1), 0);
        using var reader = ContentFile.Open(t.Store, t.HeaderKey);
        Assert.Equal(2 * PlainBlockSize, reader.Read(new byte[2 * PlainBlockSize], 0));

        t.File.SetLength(0);
        t.File.Write(Data(PlainBlockSize, 5), 0);
        var buffer = new byte[PlainBlockSize];
        Assert.Equal(PlainBlockSize, reader.Read(buffer, 0));
        Assert.Equal(Data(PlainBlockSize, 5), buffer);

        // And a writer engine that missed the change writes under the new header, not its old one.
        reader.Write(Data(10, 6), 0);
        t.Reopen();
        Assert.Equal(Data(10, 6), t.ReadAll()[..10]);
    }
}
