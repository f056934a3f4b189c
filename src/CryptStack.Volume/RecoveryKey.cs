using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto;

namespace CryptStack.Volume;

/// <summary>
/// A 32-byte recovery key and its human form: 13 groups of 5 Crockford base32 characters separated by
/// '-'. Each group is 4 data characters and 1 check character, check = (g + v0 + 3 v1 + 5 v2 + 7 v3) mod 32
/// for group g (0-based). The odd weights catch any single mistyped character in a group, the group number
/// catches groups typed in the wrong order; the parser names the group, never the characters.
/// </summary>
public sealed class RecoveryKey : IDisposable
{
    public const int Size = 32;
    public const int GroupCount = 13;
    public const int DataCharsPerGroup = 4;
    public const int CharsPerGroup = DataCharsPerGroup + 1;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private readonly SecretKey _key;

    private RecoveryKey(SecretKey key) => _key = key;

    public ReadOnlySpan<byte> Bytes => _key.Span;

    public static RecoveryKey Generate() => new(SecretKey.Random(Size));

    public static RecoveryKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"recovery key must be {Size} bytes", nameof(bytes));
        return new RecoveryKey(new SecretKey(bytes));
    }

    /// <summary>The human form, e.g. "ABCDE-FGHJK-…". Show it once; the string cannot be zeroed.</summary>
    public string Format()
    {
        Span<byte> values = stackalloc byte[GroupCount * DataCharsPerGroup];
        ToQuintets(_key.Span, values);
        var text = new StringBuilder(GroupCount * (CharsPerGroup + 1));
        for (int g = 0; g < GroupCount; g++)
        {
            if (g > 0) text.Append('-');
            ReadOnlySpan<byte> group = values.Slice(g * DataCharsPerGroup, DataCharsPerGroup);
            foreach (byte v in group) text.Append(Alphabet[v]);
            text.Append(Alphabet[CheckValue(g, group)]);
        }
        values.Clear();
        return text.ToString();
    }

    /// <summary>
    /// Parses the human form. Case, spaces and '-' do not matter; O reads as 0 and I, L as 1.
    /// Throws <see cref="VolumeException"/> naming the group with the typo.
    /// </summary>
    public static RecoveryKey Parse(ReadOnlySpan<char> text)
    {
        Span<byte> symbols = stackalloc byte[GroupCount * CharsPerGroup];
        int count = 0;
        try
        {
            foreach (char raw in text)
            {
                if (raw is '-' or ' ' or '\t' or '\r' or '\n') continue;
                int value = SymbolValue(raw);
                if (count < symbols.Length)
                {
                    if (value < 0)
                        throw new VolumeException(VolumeErrorKind.InvalidSecret, $"recovery key: group {count / CharsPerGroup + 1} contains a character that is not in the recovery key alphabet (0-9, A-Z without I, L, O, U)");
                    symbols[count] = (byte)value;
                }
                count++;
            }
            if (count != symbols.Length)
                throw new VolumeException(VolumeErrorKind.InvalidSecret, $"recovery key has {count} characters, expected {symbols.Length} ({GroupCount} groups of {CharsPerGroup})");

            Span<byte> values = stackalloc byte[GroupCount * DataCharsPerGroup];
            for (int g = 0; g < GroupCount; g++)
            {
                ReadOnlySpan<byte> group = symbols.Slice(g * CharsPerGroup, DataCharsPerGroup);
                if (CheckValue(g, group) != symbols[g * CharsPerGroup + DataCharsPerGroup])
                    throw new VolumeException(VolumeErrorKind.InvalidSecret, $"recovery key: group {g + 1} has a typo (its check character does not match)");
                group.CopyTo(values[(g * DataCharsPerGroup)..]);
            }
            // 52 characters carry 260 bits; the last 4 must be zero.
            if ((values[^1] & 0x0f) != 0)
                throw new VolumeException(VolumeErrorKind.InvalidSecret, $"recovery key: group {GroupCount} has a typo (unused bits are set)");
            var key = new SecretKey(Size);
            FromQuintets(values, key.WritableSpan);
            values.Clear();
            return new RecoveryKey(key);
        }
        finally
        {
            symbols.Clear();
        }
    }

    private static int SymbolValue(char c)
    {
        c = char.ToUpperInvariant(c);
        c = c switch { 'O' => '0', 'I' or 'L' => '1', _ => c };
        return c == 'U' ? -1 : Alphabet.IndexOf(c);
    }

    private static byte CheckValue(int group, ReadOnlySpan<byte> v) =>
        (byte)((group + v[0] + 3 * v[1] + 5 * v[2] + 7 * v[3]) % 32);

    private static void ToQuintets(ReadOnlySpan<byte> bytes, Span<byte> quintets)
    {
        int bit = 0;
        for (int i = 0; i < quintets.Length; i++, bit += 5)
        {
            int value = 0;
            for (int b = 0; b < 5; b++)
            {
                int position = bit + b;
                int set = position < bytes.Length * 8 ? (bytes[position / 8] >> (7 - position % 8)) & 1 : 0;
                value = (value << 1) | set;
            }
            quintets[i] = (byte)value;
        }
    }

    private static void FromQuintets(ReadOnlySpan<byte> quintets, Span<byte> bytes)
    {
        bytes.Clear();
        for (int position = 0; position < bytes.Length * 8; position++)
        {
            int set = (quintets[position / 5] >> (4 - position % 5)) & 1;
            bytes[position / 8] |= (byte)(set << (7 - position % 8));
        }
    }

    public override string ToString() => "RecoveryKey(redacted)";

    public void Dispose() => _key.Dispose();
}
