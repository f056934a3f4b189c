using System.Text;
using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

public class BackingNamesTests
{
    private const string Encoded = "_fvzut3vLSP7ToU9-knytrjcffcDLKJRmg";
    private const string LongName = "cs.lng.tdDQUHZRY9E9z0F_9uPmwW5yXpZpe0Te1fJlz4SgR_g";

    [Theory]
    [InlineData("cs.dirid", false, BackingNameKind.Reserved)]
    [InlineData("cs.dirid.tmp", false, BackingNameKind.Reserved)]
    [InlineData(LongName, false, BackingNameKind.LongName)]
    [InlineData(LongName + ".name", false, BackingNameKind.Reserved)]
    [InlineData(LongName + ".lnk", false, BackingNameKind.Reserved)]
    [InlineData(Encoded, false, BackingNameKind.EncodedName)]
    [InlineData(Encoded + ".lnk", false, BackingNameKind.Reserved)]
    [InlineData("cryptstack.conf", true, BackingNameKind.Reserved)]
    [InlineData("cryptstack.conf.bak", true, BackingNameKind.Reserved)]
    [InlineData("cryptstack.conf.tmp", true, BackingNameKind.Reserved)]
    [InlineData("cryptstack.conf", false, BackingNameKind.Foreign)]
    [InlineData(".DS_Store", false, BackingNameKind.Foreign)]
    [InlineData("abc (conflicted copy)", false, BackingNameKind.Foreign)]
    [InlineData("cs.lng.short", false, BackingNameKind.Reserved)]
    public void Classifies_backing_names(string name, bool isRoot, BackingNameKind expected)
    {
        Assert.Equal(expected, BackingNames.Classify(name, isRoot));
        Assert.Equal(expected == BackingNameKind.Reserved, BackingNames.IsReservedBackingName(name, isRoot));
    }

    [Fact]
    public void Long_name_sidecar_must_hash_to_its_name()
    {
        var e = Assert.Throws<NameDecryptionException>(() =>
            BackingNames.EncodedNameFromSidecar(LongName, Encoding.ASCII.GetBytes(new string('A', 288))));
        Assert.Contains("hash", e.Message);
        Assert.Throws<NameDecryptionException>(() => BackingNames.EncodedNameFromSidecar(LongName, "short"u8));
        Assert.Throws<NameDecryptionException>(() => BackingNames.EncodedNameFromSidecar(LongName, Encoding.ASCII.GetBytes(new string('.', 200))));
        Assert.Throws<NameDecryptionException>(() => BackingNames.EncodedNameFromSidecar(Encoded, Encoding.ASCII.GetBytes(new string('A', 288))));
    }
}
