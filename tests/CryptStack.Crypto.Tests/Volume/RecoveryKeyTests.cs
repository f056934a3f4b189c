using CryptStack.Volume;

namespace CryptStack.Crypto.Tests.Volume;

public class RecoveryKeyTests
{
    private static readonly byte[] Bytes = Enumerable.Range(0, 32).Select(i => (byte)(i * 9 + 1)).ToArray();

    [Fact]
    public void Human_form_is_13_groups_of_5_and_round_trips()
    {
        using RecoveryKey key = RecoveryKey.FromBytes(Bytes);
        string text = key.Format();

        Assert.Equal(13, text.Split('-').Length);
        Assert.All(text.Split('-'), g => Assert.Equal(5, g.Length));
        using RecoveryKey parsed = RecoveryKey.Parse(text);
        Assert.Equal(Bytes, parsed.Bytes.ToArray());
    }

    [Fact]
    public void Format_vector()
    {
        using RecoveryKey key = RecoveryKey.FromBytes(new byte[32]);
        Assert.Equal("00000-00001-00002-00003-00004-00005-00006-00007-00008-00009-0000A-0000B-0000C", key.Format());
    }

    [Fact]
    public void Case_spacing_and_confusable_letters_do_not_matter()
    {
        using RecoveryKey key = RecoveryKey.FromBytes(Bytes);
        string text = key.Format().ToLowerInvariant().Replace("-", "  ").Replace('0', 'o').Replace('1', 'l');
        using RecoveryKey parsed = RecoveryKey.Parse(text);
        Assert.Equal(Bytes, parsed.Bytes.ToArray());
    }

    [Fact]
    public void Every_single_character_typo_is_caught_and_names_its_group()
    {
        using RecoveryKey key = RecoveryKey.FromBytes(Bytes);
        string text = key.Format().Replace("-", "");
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        for (int i = 0; i < text.Length; i++)
        {
            foreach (char c in alphabet)
            {
                if (c == text[i]) continue;
                string typo = string.Concat(text.AsSpan(0, i), c.ToString(), text.AsSpan(i + 1));
                var e = Assert.Throws<VolumeException>(() => RecoveryKey.Parse(typo));
                Assert.Contains($"group {i / 5 + 1} ", e.Message);
                Assert.DoesNotContain(text.Substring(i / 5 * 5, 5), e.Message);
            }
        }
    }

    [Fact]
    public void Swapped_groups_missing_characters_and_bad_letters_are_caught()
    {
        using RecoveryKey key = RecoveryKey.FromBytes(Bytes);
        string[] groups = key.Format().Split('-');
        (groups[2], groups[3]) = (groups[3], groups[2]);

        Assert.Throws<VolumeException>(() => RecoveryKey.Parse(string.Join('-', groups)));
        Assert.Contains("64 characters", Assert.Throws<VolumeException>(() => RecoveryKey.Parse(key.Format().Substring(1))).Message);
        Assert.Contains("alphabet", Assert.Throws<VolumeException>(() => RecoveryKey.Parse("U" + key.Format().Substring(1))).Message);
    }
}
