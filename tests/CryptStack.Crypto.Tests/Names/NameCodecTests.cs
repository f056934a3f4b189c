using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

public class NameCodecTests
{
    private static NameCodec NewCodec()
    {
        using var key = SecretKey.Random(64);
        return new NameCodec(key);
    }

    [Theory]
    [InlineData("", InvalidNameReason.Empty)]
    [InlineData(".", InvalidNameReason.DotOrDotDot)]
    [InlineData("..", InvalidNameReason.DotOrDotDot)]
    [InlineData("a/b", InvalidNameReason.ContainsSlash)]
    [InlineData("a\0b", InvalidNameReason.ContainsNul)]
    public void Invalid_names_are_rejected_with_a_reason(string name, InvalidNameReason reason)
    {
        using NameCodec codec = NewCodec();
        var e = Assert.Throws<InvalidPlaintextNameException>(() => codec.Encrypt(name, DirectoryId.New()));
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void Names_of_255_bytes_work_and_256_are_too_long()
    {
        using NameCodec codec = NewCodec();
        byte[] dirId = DirectoryId.New();
        byte[] longest = Encoding.UTF8.GetBytes(new string('é', 127) + "x"); // 255 bytes

        string encoded = codec.Encrypt(longest, dirId);

        Assert.Equal(longest, codec.Decrypt(encoded, dirId));
        Assert.True(BackingNames.IsLongName(BackingNames.BackingNameFor(encoded)));
        var e = Assert.Throws<InvalidPlaintextNameException>(() => codec.Encrypt(new byte[256].Select(_ => (byte)'a').ToArray(), dirId));
        Assert.Equal(InvalidNameReason.TooLong, e.Reason);
    }

    [Fact]
    public void Names_up_to_115_bytes_are_stored_directly_and_longer_ones_as_long_names()
    {
        using NameCodec codec = NewCodec();
        byte[] dirId = DirectoryId.New();

        string at115 = codec.Encrypt(new string('x', 115), dirId);
        string at116 = codec.Encrypt(new string('x', 116), dirId);

        Assert.Equal(175, at115.Length);
        Assert.Equal(at115, BackingNames.BackingNameFor(at115));
        Assert.Equal(BackingNames.LongNameFor(at116), BackingNames.BackingNameFor(at116));
    }

    [Fact]
    public void Same_name_is_deterministic_in_one_directory_and_differs_across_directories()
    {
        using NameCodec codec = NewCodec();
        byte[] dirA = DirectoryId.New();
        byte[] dirB = DirectoryId.New();

        Assert.Equal(codec.Encrypt("a.txt", dirA), codec.Encrypt("a.txt", dirA));
        Assert.NotEqual(codec.Encrypt("a.txt", dirA), codec.Encrypt("a.txt", dirB));
    }

    [Fact]
    public void Name_moved_to_another_directory_fails_to_decrypt()
    {
        using NameCodec codec = NewCodec();
        string encoded = codec.Encrypt("secret.doc", DirectoryId.New());

        Assert.Throws<NameDecryptionException>(() => codec.Decrypt(encoded, DirectoryId.New()));
    }

    [Fact]
    public void Every_single_character_change_of_an_encoded_name_is_rejected()
    {
        using NameCodec codec = NewCodec();
        byte[] dirId = DirectoryId.New();
        string encoded = codec.Encrypt("report.pdf", dirId);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";

        for (int i = 0; i < encoded.Length; i++)
        {
            foreach (char c in alphabet)
            {
                if (c == encoded[i]) continue;
                string mutated = string.Concat(encoded.AsSpan(0, i), c.ToString(), encoded.AsSpan(i + 1));
                Assert.Throws<NameDecryptionException>(() => codec.Decrypt(mutated, dirId));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("AAAA")]
    [InlineData("cs.dirid")]
    [InlineData("not base64!")]
    public void Malformed_encoded_names_raise_name_decryption_exception(string encoded)
    {
        using NameCodec codec = NewCodec();
        Assert.Throws<NameDecryptionException>(() => codec.Decrypt(encoded, DirectoryId.New()));
    }

    [Fact]
    public void Random_backing_names_never_crash_the_decoder()
    {
        using NameCodec codec = NewCodec();
        byte[] dirId = DirectoryId.New();
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            string name = Base64UrlLike(random, random.Next(0, 400));
            Assert.Throws<NameDecryptionException>(() => codec.Decrypt(name, dirId));
        }
    }

    [Fact]
    public void Directory_id_file_must_be_16_bytes()
    {
        Assert.Equal(16, DirectoryId.Parse(new byte[16], "d/cs.dirid").Length);
        var e = Assert.Throws<DirectoryIdException>(() => DirectoryId.Parse(new byte[15], "d/cs.dirid"));
        Assert.Contains("d/cs.dirid", e.Message);
        Assert.Throws<DirectoryIdException>(() => DirectoryId.Parse(new byte[17], "d/cs.dirid"));
    }

    private static string Base64UrlLike(Random random, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
    }
}
