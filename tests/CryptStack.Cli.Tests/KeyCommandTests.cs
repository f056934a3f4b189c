using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>`key list|test|add|remove`: slots like LUKS, each revocable alone, the last way in kept unless forced.</summary>
public sealed class KeyCommandTests : IDisposable
{
    private readonly Session _s = new();
    private readonly string _pass;

    public KeyCommandTests()
    {
        _pass = _s.PassFile("the first passphrase");
        _s.Init(["--passfile", _pass]);
    }

    public void Dispose() => _s.Dispose();

    [Fact]
    public void List_shows_ids_kinds_kdf_and_creation_time_without_a_secret()
    {
        var r = _s.RunOk(["key", "list", _s.Volume], stdin: "");
        string[] lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["SLOT", "KIND", "KDF", "PARAMETERS", "CREATED"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^0\s+passphrase\s+argon2id\s+iterations=1 memoryKiB=64 parallelism=1\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[1]);
        Assert.Matches(@"^1\s+recovery\s+hkdf\s+-\s+\d{4}-", lines[2]);
        // Salts, nonces and wrapped keys are base64 in the config; none of it is shown.
        string config = File.ReadAllText(_s.ConfigPath);
        foreach (System.Text.RegularExpressions.Match b64 in System.Text.RegularExpressions.Regex.Matches(config, "\"([A-Za-z0-9+/]{20,}=*)\""))
            Assert.DoesNotContain(b64.Groups[1].Value, r.StdOut);
    }

    [Fact]
    public void Add_passphrase_authorised_by_the_existing_one_opens_the_volume()
    {
        string second = _s.PassFile("a second passphrase", "second.txt");
        var r = _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--passfile", second, .. Session.CheapKdf]);
        Assert.Contains("Added slot 2: passphrase", r.StdOut);

        Assert.Contains("Opens slot 2", _s.RunOk(["key", "test", _s.Volume, "--passfile", second]).StdOut);
        Assert.Contains("Opens slot 0", _s.RunOk(["key", "test", _s.Volume, "--passfile", _pass]).StdOut);
    }

    [Fact]
    public void Add_reads_unlock_then_new_secret_as_two_stdin_lines()
    {
        _s.Secret("typed second");
        _s.RunOk(["key", "add", _s.Volume, .. Session.CheapKdf], stdin: "the first passphrase\ntyped second\n");
        Assert.Equal(0, _s.Opens([], stdin: "typed second\n"));
    }

    [Fact]
    public void Add_with_a_wrong_unlock_secret_changes_nothing()
    {
        string wrong = _s.PassFile("not the passphrase", "wrong.txt");
        string second = _s.PassFile("would be second", "second.txt");
        string before = File.ReadAllText(_s.ConfigPath);
        var r = _s.RunFails(ExitCodes.WrongSecret, ["key", "add", _s.Volume, "--unlock-passfile", wrong, "--passfile", second]);
        Assert.Contains("passphrase does not open any keyslot", r.StdErr);
        Assert.Equal(before, File.ReadAllText(_s.ConfigPath));
    }

    [Fact]
    public void Add_keyfile_and_unlock_with_it()
    {
        string key = _s.KeyFile();
        _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--keyfile", key]);
        string third = _s.PassFile("third via keyfile unlock", "third.txt");
        _s.RunOk(["key", "add", _s.Volume, "--unlock-keyfile", key, "--passfile", third, .. Session.CheapKdf]);
        Assert.Equal(0, _s.Opens(["--passfile", third]));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Generate_keyfile_writes_a_private_random_key_that_opens_the_volume()
    {
        string path = Path.Combine(_s.Root, "generated.key");
        _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--generate-keyfile", path]);
        Assert.Equal(64, new FileInfo(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        byte[] key = File.ReadAllBytes(path);
        _s.Secret(Convert.ToHexString(key));
        Assert.Equal(0, _s.Opens(["--keyfile", path]));

        var again = _s.RunFails(ExitCodes.Refused, ["key", "add", _s.Volume, "--unlock-passfile", _pass, "--generate-keyfile", path]);
        Assert.Contains("does not overwrite", again.StdErr);
        Assert.Equal(key, File.ReadAllBytes(path));
    }

    [Fact]
    public void Add_recovery_prints_a_new_recovery_key_once_and_it_opens_the_volume()
    {
        var r = Harness.Session.RecoveryKeyPattern();
        var output = Mount.Tests.Harness.Cli.Run(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--recovery", "--print-recovery-key"]);
        Assert.Equal(0, output.ExitCode);
        string key = Assert.Single(r.Matches(output.StdOut)).Value;
        Assert.Contains("Added slot 2: recovery key", output.StdOut);
        Assert.Equal(0, _s.Opens(["--recovery-key"], stdin: key + "\n"));
    }

    [Fact]
    public void Remove_revokes_one_slot_and_leaves_the_others()
    {
        string second = _s.PassFile("second, to be removed", "second.txt");
        _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--passfile", second, .. Session.CheapKdf]);
        _s.RunOk(["key", "remove", _s.Volume, "--slot", "2", "--unlock-passfile", _pass]);

        Assert.Equal(ExitCodes.WrongSecret, _s.Opens(["--passfile", second]));
        Assert.Equal(0, _s.Opens(["--passfile", _pass]));
        Assert.DoesNotMatch(@"(?m)^2\s", _s.RunOk(["key", "list", _s.Volume]).StdOut);
    }

    [Fact]
    public void Removing_the_last_passphrase_is_refused_unless_forced_and_the_only_slot_never()
    {
        string before = File.ReadAllText(_s.ConfigPath);
        var refused = _s.RunFails(ExitCodes.Refused, ["key", "remove", _s.Volume, "--slot", "0", "--unlock-passfile", _pass]);
        Assert.Contains("last passphrase or key-file slot", refused.StdErr);
        Assert.Contains("--force", refused.StdErr);
        Assert.Equal(before, File.ReadAllText(_s.ConfigPath));

        var forced = _s.RunOk(["key", "remove", _s.Volume, "--slot", "0", "--force", "--unlock-passfile", _pass]);
        Assert.Contains("Removed slot 0", forced.StdOut);
        Assert.Contains("no longer opens", forced.StdErr);
        Assert.Equal(ExitCodes.WrongSecret, _s.Opens(["--passfile", _pass]));

        // Only the recovery slot is left: the passphrase kind has no slot at all now.
        var noSlot = _s.RunFails(ExitCodes.WrongSecret, ["key", "test", _s.Volume, "--passfile", _pass]);
        Assert.Contains("has no passphrase keyslot", noSlot.StdErr);
    }

    [Fact]
    public void Removing_a_slot_that_does_not_exist_is_a_usage_error()
    {
        var r = _s.RunFails(ExitCodes.Usage, ["key", "remove", _s.Volume, "--slot", "7", "--unlock-passfile", _pass]);
        Assert.Contains("there is no keyslot 7", r.StdErr);
    }

    [Fact]
    public void Remove_requires_the_slot_option()
    {
        var r = _s.Run(["key", "remove", _s.Volume, "--unlock-passfile", _pass]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
    }
}
