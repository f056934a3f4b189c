using System.Text;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

/// <summary>
/// The vectors of docs/format.md, "Worked examples". They were cross-checked with Python's
/// cryptography package (HKDF, AESSIV, AESGCM). If one of these fails, the on-disk format changed.
/// </summary>
public class FormatVectorTests
{
    private static readonly byte[] MasterKey = Enumerable.Range(0x00, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] VolumeId = Enumerable.Range(0xf0, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] DirId = Enumerable.Range(0x20, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = Enumerable.Range(0x00, 12).Select(i => (byte)i).ToArray();

    private static KeyHierarchy Keys() => new(MasterKey, VolumeId);

    [Fact]
    public void Subkeys_are_hkdf_of_the_master_key_with_the_volume_id_as_salt()
    {
        using KeyHierarchy keys = Keys();
        using SecretKey header = keys.DeriveContentHeaderKey();
        using SecretKey names = keys.DeriveNamesKey();
        using SecretKey links = keys.DeriveLinkTargetsKey();
        using SecretKey xattrNames = keys.DeriveXattrNamesKey();
        using SecretKey xattrValues = keys.DeriveXattrValuesKey();
        using SecretKey configMac = keys.DeriveConfigMacKey();

        Assert.Equal("c6121faf1ad61e1e324942ff2fb42d5c3673a826568dbf40b9541a8068759c7d", Convert.ToHexStringLower(header.Span));
        Assert.Equal("377756727a6708400ab82c04b2091d273187449a322629fffd9ce1dec8786940cc4a2e2044fb26680bc40d51b262ff165b2cb4e2bd5515a69c10aead35b993e1", Convert.ToHexStringLower(names.Span));
        Assert.Equal("c12385eb07695db47c6133116dcc905058fe425a3e71034b44f46b3a2eb0e994", Convert.ToHexStringLower(links.Span));
        Assert.Equal("866e05984578d9bfac29003c05d2ffe420086209728d785e49d512ffc596239d4ca17a274df8805e1a879b457436773db2fc5c902360ae34f55e260012a461c8", Convert.ToHexStringLower(xattrNames.Span));
        Assert.Equal("e55ca168cbccaf2dc08df4958dab5eb94cd51bef53505bf706d1fb615dc0cc18", Convert.ToHexStringLower(xattrValues.Span));
        Assert.Equal("7ccf17f662f198655f8621e7fdef75815f77d98dc7a7793c731dafc9fec2cd9d", Convert.ToHexStringLower(configMac.Span));
    }

    [Fact]
    public void Short_name_vector()
    {
        using KeyHierarchy keys = Keys();
        using NameCodec codec = NameCodec.FromKeys(keys);

        string encoded = codec.Encrypt("hello.txt", DirId);

        Assert.Equal("_fvzut3vLSP7ToU9-knytrjcffcDLKJRmg", encoded);
        Assert.Equal(encoded, BackingNames.BackingNameFor(encoded));
        Assert.Equal("hello.txt"u8.ToArray(), codec.Decrypt(encoded, DirId));
    }

    [Fact]
    public void Long_name_vector()
    {
        using KeyHierarchy keys = Keys();
        using NameCodec codec = NameCodec.FromKeys(keys);

        string encoded = codec.Encrypt(new string('a', 200), DirId);
        string backing = BackingNames.BackingNameFor(encoded);

        Assert.Equal(288, encoded.Length);
        Assert.Equal(
            "d75qN_kXCeRI2by-r4J-kBJlMME3aoRNfrnVW4WFju7cnmr566b9PH7Pp9G43ggJPR4pOzS5wvA_tjBczP0huKxptiAGVmIA-LLng9uLS8ZcW8t1sUkWzA5tRDgRrwd71rAcH_wx4MoWV4KNQRxF_0OEe1W96FEOozBiJANaQKeraqN1L7jFrxMG-UfElOD69QIPuyu9p4eJajkWz4n7y9bRR1DlXUpT9X3I-Ov6MMvxig0yl26uRP4PRhekHdBSgVcFPhHZhz75WD_56KKUuib3bZQSzrYS",
            encoded);
        Assert.Equal("cs.lng.tdDQUHZRY9E9z0F_9uPmwW5yXpZpe0Te1fJlz4SgR_g", backing);
        Assert.Equal("cs.lng.tdDQUHZRY9E9z0F_9uPmwW5yXpZpe0Te1fJlz4SgR_g.name", BackingNames.SidecarNameFor(backing));
        Assert.Equal(encoded, BackingNames.EncodedNameFromSidecar(backing, Encoding.ASCII.GetBytes(encoded)));
    }

    [Fact]
    public void Link_target_vector()
    {
        using KeyHierarchy keys = Keys();
        using LinkTargetCodec codec = LinkTargetCodec.FromKeys(keys);

        string encoded = codec.Encrypt("../target/file"u8, Nonce);

        Assert.Equal("AAECAwQFBgcICQoLHcj2l4VhodR41eybqW-Ikv1IRHM3dzoqi8OTXDsg", encoded);
        Assert.Equal("../target/file"u8.ToArray(), codec.Decrypt(encoded));
    }

    [Fact]
    public void Xattr_name_and_value_vectors()
    {
        using KeyHierarchy keys = Keys();
        using XattrCodec codec = XattrCodec.FromKeys(keys);

        string name = codec.EncryptName("user.comment");
        byte[] value = codec.EncryptValue("hello"u8, name, Nonce);

        Assert.Equal("user.cs.PeNwVbBlv8kNb_xRnl9jRVek7hFpyT4", name);
        Assert.Equal("000102030405060708090a0b6152072473c26e795e4d267c4b2bc87bd79f5e409a", Convert.ToHexStringLower(value));
        Assert.Equal("user.comment"u8.ToArray(), codec.DecryptName(name));
        Assert.Equal("hello"u8.ToArray(), codec.DecryptValue(value, name));
    }
}
