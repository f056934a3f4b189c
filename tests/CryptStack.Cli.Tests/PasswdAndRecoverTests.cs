using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>`passwd` and `recover`: a new passphrase for a slot, the old one stops working, data keys stay.</summary>
public sealed class PasswdAndRecoverTests : IDisposable
{
    private readonly Session _s = new();
    private readonly string _old;
    private readonly string _recoveryKey;

    public PasswdAndRecoverTests()
    {
        _old = _s.PassFile("the old passphrase", "old.txt");
        _recoveryKey = _s.Init(["--passfile", _old]);
    }

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Passwd_then_the_old_passphrase_fails_and_the_new_one_works()
    {
        string volumeId = VolumeId();
        string fresh = _s.PassFile("the new passphrase", "new.txt");
        var r = _s.RunOk(["passwd", _s.Volume, "--unlock-passfile", _old, "--passfile", fresh, .. Session.CheapKdf]);
        Assert.Contains("slot 0 changed", r.StdOut);

        var wrong = _s.RunFails(ExitCodes.WrongSecret, ["key", "test", _s.Volume, "--passfile", _old]);
        Assert.Contains("passphrase does not open any keyslot", wrong.StdErr);
        Assert.Equal(0, _s.Opens(["--passfile", fresh]));
        Assert.Equal(volumeId, VolumeId());
    }

    [Fact]
    public void Passwd_reads_old_then_new_from_stdin_lines()
    {
        _s.Secret("new via stdin");
        _s.RunOk(["passwd", _s.Volume, .. Session.CheapKdf], stdin: "the old passphrase\nnew via stdin\n");
        Assert.Equal(0, _s.Opens([], stdin: "new via stdin\n"));
        Assert.Equal(ExitCodes.WrongSecret, _s.Opens(["--passfile", _old]));
    }

    [Fact]
    public void Passwd_with_slot_changes_that_slot_when_unlocked_by_another_secret()
    {
        string key = _s.KeyFile();
        _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _old, "--keyfile", key]);
        string fresh = _s.PassFile("set with the key file", "new.txt");
        _s.RunOk(["passwd", _s.Volume, "--slot", "0", "--unlock-keyfile", key, "--passfile", fresh, .. Session.CheapKdf]);
        Assert.Contains("Opens slot 0", _s.RunOk(["key", "test", _s.Volume, "--passfile", fresh]).StdOut);
    }

    [Fact]
    public void Passwd_refuses_a_slot_that_is_not_a_passphrase()
    {
        string fresh = _s.PassFile("unused", "new.txt");
        var r = _s.RunFails(ExitCodes.Usage, ["passwd", _s.Volume, "--slot", "1", "--unlock-passfile", _old, "--passfile", fresh]);
        Assert.Contains("not a passphrase slot", r.StdErr);
    }

    [Fact]
    public void Recover_with_the_printed_key_sets_a_new_passphrase()
    {
        _s.Secret(_recoveryKey);
        string fresh = _s.PassFile("after recovery", "new.txt");
        var r = _s.RunOk(["recover", _s.Volume, "--passfile", fresh, .. Session.CheapKdf], stdin: _recoveryKey.ToLowerInvariant() + "\n");
        Assert.Contains("slot 0 has the new passphrase", r.StdOut);

        Assert.Equal(0, _s.Opens(["--passfile", fresh]));
        Assert.Equal(ExitCodes.WrongSecret, _s.Opens(["--passfile", _old]));
        // The recovery key keeps working.
        Assert.Equal(0, _s.Opens(["--recovery-key"], stdin: _recoveryKey + "\n"));
    }

    [Fact]
    public void Recover_reads_key_then_passphrase_from_stdin_and_from_a_file()
    {
        _s.Secret(_recoveryKey);
        string keyFile = Path.Combine(_s.Root, "recovery.txt");
        File.WriteAllText(keyFile, _recoveryKey.Replace("-", " ") + "\n");
        _s.Secret("from stdin after the key file");
        _s.RunOk(["recover", _s.Volume, "--recovery-file", keyFile, .. Session.CheapKdf], stdin: "from stdin after the key file\n");
        Assert.Equal(0, _s.Opens([], stdin: "from stdin after the key file\n"));

        _s.Secret("both on stdin");
        _s.RunOk(["recover", _s.Volume, .. Session.CheapKdf], stdin: _recoveryKey + "\nboth on stdin\n");
        Assert.Equal(0, _s.Opens([], stdin: "both on stdin\n"));
    }

    [Fact]
    public void Recovery_key_typo_is_rejected_with_the_group_and_not_the_key()
    {
        _s.Secret(_recoveryKey);
        // Change one character of group 3 to another valid character.
        char[] typo = _recoveryKey.ToCharArray();
        int at = 2 * 6 + 1;
        typo[at] = typo[at] == 'X' ? 'Y' : 'X';
        string typed = new(typo);
        _s.Secret(typed);
        string fresh = _s.PassFile("never set", "new.txt");
        string before = File.ReadAllText(_s.ConfigPath);

        var r = _s.RunFails(ExitCodes.InvalidSecret, ["recover", _s.Volume, "--passfile", fresh], stdin: typed + "\n");
        Assert.Contains("recovery key: group 3 has a typo", r.StdErr);
        Assert.DoesNotContain(typed[12..17], r.StdErr);
        Assert.Equal(before, File.ReadAllText(_s.ConfigPath));

        var short_ = _s.RunFails(ExitCodes.InvalidSecret, ["recover", _s.Volume, "--passfile", fresh], stdin: _recoveryKey[..40] + "\n");
        Assert.Contains("expected 65", short_.StdErr);
    }

    [Fact]
    public void A_valid_recovery_key_of_another_volume_is_a_wrong_secret()
    {
        using var other = new Session();
        string otherKey = other.Init(["--passfile", other.PassFile("other volume")]);
        _s.Secret(otherKey);
        var r = _s.RunFails(ExitCodes.WrongSecret, ["recover", _s.Volume, "--passfile", _s.PassFile("x", "new.txt")], stdin: otherKey + "\n");
        Assert.Contains("recovery key does not open any keyslot", r.StdErr);
    }

    private string VolumeId() => System.Text.RegularExpressions.Regex.Match(_s.RunOk(["info", _s.Volume]).StdOut, @"Volume id:\s+(\S+)").Groups[1].Value;
}
