using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Tests.Primitives;

public class Base64UrlStrictTests
{
    [Theory]
    [InlineData("")]
    [InlineData("AA")]
    [InlineData("AAE")]
    [InlineData("_-8")]
    public void Canonical_text_decodes_and_reencodes_identically(string text)
    {
        byte[]? bytes = Base64UrlStrict.TryDecode(text);
        Assert.NotNull(bytes);
        Assert.Equal(text, Base64UrlStrict.Encode(bytes));
    }

    [Theory]
    [InlineData("AB")] // unused bits set
    [InlineData("AA==")] // padding
    [InlineData("A A")] // whitespace
    [InlineData("A+/A")] // standard alphabet
    [InlineData("A")] // impossible length
    [InlineData("AA.")]
    public void Non_canonical_text_is_rejected(string text) => Assert.Null(Base64UrlStrict.TryDecode(text));
}
