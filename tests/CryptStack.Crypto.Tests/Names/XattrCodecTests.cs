using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

public class XattrCodecTests
{
    private static XattrCodec NewCodec()
    {
        using var names = SecretKey.Random(64);
        using var values = SecretKey.Random(32);
        return new XattrCodec(names, values);
    }

    [Fact]
    public void Only_user_namespace_is_supported()
    {
        using XattrCodec codec = NewCodec();
        Assert.Throws<UnsupportedXattrNameException>(() => codec.EncryptName("security.selinux"));
        Assert.Throws<UnsupportedXattrNameException>(() => codec.EncryptName("trusted.x"));
    }

    [Fact]
    public void An_empty_name_after_user_is_neither_stored_nor_accepted_when_read()
    {
        using XattrCodec codec = NewCodec();
        Assert.Throws<UnsupportedXattrNameException>(() => codec.EncryptName("user."));
        // What a writer with the key would produce for "user.": the reader refuses it all the same.
        var siv = (CryptStack.Crypto.Primitives.AesSiv)typeof(XattrCodec).GetField("_nameSiv", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(codec)!;
        string empty = XattrCodec.EncryptedPrefix + CryptStack.Crypto.Primitives.Base64UrlStrict.Encode(siv.Encrypt([], "xattr"u8.ToArray()));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptName(empty));
    }

    [Fact]
    public void Longest_name_fits_in_xattr_name_max()
    {
        using XattrCodec codec = NewCodec();
        string longest = codec.EncryptName("user." + new string('n', XattrCodec.MaxPlainSuffixBytes));

        Assert.Equal(XattrCodec.MaxBackingNameLength, longest.Length);
        var e = Assert.Throws<UnsupportedXattrNameException>(() => codec.EncryptName("user." + new string('n', XattrCodec.MaxPlainSuffixBytes + 1)));
        Assert.True(e.TooLong);
    }

    [Fact]
    public void Value_copied_to_another_name_is_rejected()
    {
        using XattrCodec codec = NewCodec();
        string a = codec.EncryptName("user.a");
        string b = codec.EncryptName("user.b");
        byte[] value = codec.EncryptValue("v"u8, a);

        Assert.Equal("v"u8.ToArray(), codec.DecryptValue(value, a));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptValue(value, b));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptValue(value.AsSpan(0, 10), a));
    }

    [Fact]
    public void Foreign_and_tampered_names_are_rejected()
    {
        using XattrCodec codec = NewCodec();
        Assert.False(XattrCodec.IsEncryptedName("user.plain"));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptName("user.plain"));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptName("user.cs.AAAA"));
        Assert.Throws<XattrDecryptionException>(() => codec.DecryptName("user.cs.!!"));
    }
}
