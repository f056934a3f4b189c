using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Tests.Primitives;

public class KdfVectorTests
{
    [Fact]
    public void Argon2id_matches_rfc9106_section_5_3()
    {
        byte[] password = Enumerable.Repeat((byte)0x01, 32).ToArray();
        byte[] salt = Enumerable.Repeat((byte)0x02, 16).ToArray();
        byte[] secret = Enumerable.Repeat((byte)0x03, 8).ToArray();
        byte[] ad = Enumerable.Repeat((byte)0x04, 12).ToArray();
        var tag = new byte[32];

        Argon2id.DeriveKey(password, salt, memoryKiB: 32, iterations: 3, parallelism: 4, tag, secret, ad);

        Assert.Equal("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", Convert.ToHexStringLower(tag));
    }

    [Fact]
    public void Hkdf_sha256_matches_rfc5869_case_1()
    {
        byte[] ikm = Enumerable.Repeat((byte)0x0b, 22).ToArray();
        byte[] salt = Convert.FromHexString("000102030405060708090a0b0c");
        byte[] info = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9");
        var okm = new byte[42];

        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, okm, salt, info);

        Assert.Equal("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", Convert.ToHexStringLower(okm));
    }

    [Fact]
    public void Scrypt_matches_rfc7914_first_vector()
    {
        var output = new byte[64];

        Scrypt.DeriveKey([], [], cost: 16, blockSize: 1, parallelism: 1, output);

        Assert.Equal(
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
            Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Aes_gcm_envelope_matches_gcm_spec_test_case_16()
    {
        // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV).
        byte[] key = Convert.FromHexString("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        byte[] nonce = Convert.FromHexString("cafebabefacedbaddecaf888");
        byte[] plaintext = Convert.FromHexString("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        byte[] ad = Convert.FromHexString("feedfacedeadbeeffeedfacedeadbeefabaddad2");

        byte[] sealedData = AesGcmEnvelope.Seal(key, nonce, plaintext, ad);

        Assert.Equal(
            "cafebabefacedbaddecaf888"
            + "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            + "76fc6ece0f4e1768cddf8853bb2d551b",
            Convert.ToHexStringLower(sealedData));
        Assert.Equal(plaintext, AesGcmEnvelope.Open(key, sealedData, ad));
    }

    [Fact]
    public void Aes_gcm_envelope_rejects_any_changed_byte_and_short_input()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] sealedData = AesGcmEnvelope.Seal(key, Encoding.ASCII.GetBytes("hello"), "ad"u8);

        for (int i = 0; i < sealedData.Length; i++)
        {
            byte[] tampered = (byte[])sealedData.Clone();
            tampered[i] ^= 0x40;
            Assert.Throws<AuthenticationTagMismatchException>(() => AesGcmEnvelope.Open(key, tampered, "ad"u8));
        }
        Assert.Throws<AuthenticationTagMismatchException>(() => AesGcmEnvelope.Open(key, sealedData, "other"u8));
        Assert.Throws<AuthenticationTagMismatchException>(() => AesGcmEnvelope.Open(key, sealedData.AsSpan(0, 27), "ad"u8));
    }
}
