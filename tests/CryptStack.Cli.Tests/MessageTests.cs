using System.Text.Json.Nodes;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>Messages that point the right way: a damaged config, a lost config, a directory given as a file, a missing stdin line.</summary>
public sealed class MessageTests : IDisposable
{
    private readonly Session _s = new();
    private readonly string _pass;

    public MessageTests()
    {
        _pass = _s.PassFile("message test passphrase");
        _s.Init(["--passfile", _pass]);
    }

    public void Dispose() => _s.Dispose();

    private string Backup => _s.ConfigPath + ".bak";

    [Fact]
    public void A_damaged_keyslot_whose_backup_opens_says_so_and_how_to_restore()
    {
        Assert.True(File.Exists(Backup));
        // One byte of slot 0's wrapped key changed: the passphrase no longer unwraps it.
        var config = JsonNode.Parse(File.ReadAllText(_s.ConfigPath))!;
        var slot = config["keyslots"]!.AsArray().First(s => (string?)s!["kind"] == "passphrase")!;
        string wrapped = (string)slot["wrappedKey"]!;
        slot["wrappedKey"] = (wrapped[0] == 'A' ? "B" : "A") + wrapped[1..];
        File.WriteAllText(_s.ConfigPath, config.ToJsonString());

        var r = _s.RunFails(ExitCodes.CorruptConfig, ["key", "test", _s.Volume, "--passfile", _pass]);
        Assert.Contains(Backup, r.StdErr);
        Assert.Contains("config restore", r.StdErr);
    }

    [Fact]
    public void With_config_and_backup_gone_mount_points_at_recovery_not_init()
    {
        File.Delete(_s.ConfigPath);
        File.Delete(Backup);
        string mnt = Path.Combine(_s.Root, "mnt");
        Directory.CreateDirectory(mnt);
        var r = _s.RunFails(ExitCodes.NotAVolume, ["mount", _s.Volume, mnt, "--passfile", _pass]);
        Assert.Contains("recover --rebuild-config", r.StdErr);
        Assert.Contains("Do not run `cryptstack init`", r.StdErr);
    }

    [Fact]
    public void A_passfile_that_is_a_directory_is_named_as_such()
    {
        var r = _s.RunFails(ExitCodes.SecretUnavailable, ["key", "test", _s.Volume, "--passfile", _s.Root]);
        Assert.Contains("is a directory", r.StdErr);
        Assert.DoesNotContain("denied", r.StdErr);
    }

    [Fact]
    public void Passwd_with_one_line_on_stdin_fails_before_trying_the_old_passphrase()
    {
        // A wrong old passphrase and no second line: the missing line is reported (21), which shows that no
        // key derivation ran first (that would have ended in "wrong secret", 10).
        var r = _s.RunFails(ExitCodes.SecretUnavailable, ["passwd", _s.Volume, .. Session.CheapKdf], stdin: "not the old passphrase\n");
        Assert.Contains("stdin", r.StdErr);
        Assert.Equal(0, _s.Opens(["--passfile", _pass]));
    }
}
