using System.Security.Cryptography;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Tests.Primitives;

public class AesSivTests
{
    [Fact]
    public void Rfc5297_A1_deterministic_vector()
    {
        using var siv = new AesSiv(Convert.FromHexString("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
        byte[] ad = Convert.FromHexString("101112131415161718191a1b1c1d1e1f2021222324252627");
        byte[] plaintext = Convert.FromHexString("112233445566778899aabbccddee");

        byte[] output = siv.Encrypt(plaintext, ad);

        Assert.Equal("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c", Convert.ToHexStringLower(output));
        Assert.Equal(plaintext, siv.Decrypt(output, ad));
    }

    [Fact]
    public void Rfc5297_A2_nonce_based_vector_with_multiple_associated_data()
    {
        using var siv = new AesSiv(Convert.FromHexString("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f"));
        byte[] ad1 = Convert.FromHexString("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100");
        byte[] ad2 = Convert.FromHexString("102030405060708090a0");
        byte[] nonce = Convert.FromHexString("09f911029d74e35bd84156c5635688c0");
        byte[] plaintext = Convert.FromHexString("7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553");

        byte[] output = siv.Encrypt(plaintext, ad1, ad2, nonce);

        Assert.Equal(
            "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d",
            Convert.ToHexStringLower(output));
        Assert.Equal(plaintext, siv.Decrypt(output, ad1, ad2, nonce));
    }

    [Fact]
    public void Round_trips_every_length_around_the_block_size_with_a_512_bit_key()
    {
        using var siv = new AesSiv(RandomNumberGenerator.GetBytes(64));
        for (int length = 0; length <= 50; length++)
        {
            byte[] plaintext = RandomNumberGenerator.GetBytes(length);
            byte[] output = siv.Encrypt(plaintext, [1, 2, 3]);
            Assert.Equal(16 + length, output.Length);
            Assert.Equal(plaintext, siv.Decrypt(output, [1, 2, 3]));
        }
    }

    [Fact]
    public void Any_flipped_bit_fails_authentication()
    {
        using var siv = new AesSiv(RandomNumberGenerator.GetBytes(64));
        byte[] output = siv.Encrypt("some name"u8, [7]);
        for (int bit = 0; bit < output.Length * 8; bit++)
        {
            byte[] tampered = (byte[])output.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<AuthenticationTagMismatchException>(() => siv.Decrypt(tampered, [7]));
        }
    }

    [Fact]
    public void Different_associated_data_fails_authentication()
    {
        using var siv = new AesSiv(RandomNumberGenerator.GetBytes(64));
        byte[] output = siv.Encrypt("name"u8, [1]);
        Assert.Throws<AuthenticationTagMismatchException>(() => siv.Decrypt(output, [2]));
        Assert.Throws<AuthenticationTagMismatchException>(() => siv.Decrypt(output));
        Assert.Throws<AuthenticationTagMismatchException>(() => siv.Decrypt(output.AsSpan(0, 10), [1]));
    }
}
