using System.Buffers.Text;

namespace CryptStack.Crypto.Primitives;

/// <summary>
/// base64url without padding (RFC 4648 section 5), decoded strictly: only [A-Za-z0-9_-], no padding,
/// no whitespace, unused trailing bits zero. Strictness makes the encoding a bijection, so two different
/// backing names can never decrypt to the same plaintext name.
/// </summary>
public static class Base64UrlStrict
{
    public static string Encode(ReadOnlySpan<byte> data) => Base64Url.EncodeToString(data);

    public static bool IsAlphabetChar(char c) =>
        c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_';

    /// <summary>Returns null if <paramref name="text"/> is not canonical base64url without padding.</summary>
    public static byte[]? TryDecode(ReadOnlySpan<char> text)
    {
        if (text.Length % 4 == 1) return null;
        foreach (char c in text)
        {
            if (!IsAlphabetChar(c)) return null;
        }
        var bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        int written;
        try
        {
            // Throws FormatException (rather than returning false) for some invalid inputs.
            if (!Base64Url.TryDecodeFromChars(text, bytes, out written)) return null;
        }
        catch (FormatException)
        {
            return null;
        }
        if (written != bytes.Length) Array.Resize(ref bytes, written);
        // Non-zero unused bits in the last character decode to the same bytes; reject them.
        if (!text.SequenceEqual(Base64Url.EncodeToString(bytes))) return null;
        return bytes;
    }

    /// <summary>Encoded length of <paramref name="byteCount"/> bytes without padding.</summary>
    public static int EncodedLength(int byteCount) => (byteCount * 4 + 2) / 3;
}
