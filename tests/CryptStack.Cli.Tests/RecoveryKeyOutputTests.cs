using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// The recovery key is printed on a terminal only. Elsewhere (a CI log, a pipe) the user says where it goes:
/// --recovery-key-file FILE (0600) or --print-recovery-key; without either nothing is created.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RecoveryKeyOutputTests : IDisposable
{
    private readonly Session _s = new();
    private readonly string _pass;

    public RecoveryKeyOutputTests() => _pass = _s.PassFile("recovery output passphrase");

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Init_with_stdout_not_a_terminal_and_no_choice_refuses_before_creating_anything()
    {
        var r = _s.RunFails(ExitCodes.Usage, ["init", _s.Volume, "--passfile", _pass, .. Session.CheapKdf]);
        Assert.Contains("--recovery-key-file", r.StdErr);
        Assert.Contains("--print-recovery-key", r.StdErr);
        Assert.False(Directory.Exists(_s.Volume) && Directory.EnumerateFileSystemEntries(_s.Volume).Any());
    }

    [Fact]
    public void Init_writes_the_recovery_key_to_a_0600_file_and_not_to_stdout()
    {
        string file = Path.Combine(_s.Root, "recovery.txt");
        var r = _s.RunOk(["init", _s.Volume, "--passfile", _pass, "--recovery-key-file", file, .. Session.CheapKdf]);
        Assert.DoesNotMatch(Session.RecoveryKeyPattern(), r.StdOut);
        Assert.Contains(file, r.StdOut);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        string key = File.ReadAllText(file).Trim();
        Assert.Matches(Session.RecoveryKeyPattern(), key);
        Assert.Equal(0, _s.Opens(["--recovery-key"], stdin: key + "\n"));
    }

    [Fact]
    public void Init_refuses_to_overwrite_a_recovery_key_file()
    {
        string file = Path.Combine(_s.Root, "recovery.txt");
        File.WriteAllText(file, "an older key\n");
        _s.RunFails(ExitCodes.Refused, ["init", _s.Volume, "--passfile", _pass, "--recovery-key-file", file, .. Session.CheapKdf]);
        Assert.Equal("an older key\n", File.ReadAllText(file));
        Assert.False(File.Exists(_s.ConfigPath));
    }

    [Fact]
    public void Key_add_recovery_follows_the_same_rule()
    {
        _s.Init(["--passfile", _pass]);
        _s.RunFails(ExitCodes.Usage, ["key", "add", _s.Volume, "--unlock-passfile", _pass, "--recovery"]);
        Assert.DoesNotContain("recovery", _s.RunOk(["key", "list", _s.Volume]).StdOut.Split('\n').Skip(3).FirstOrDefault() ?? "");

        string file = Path.Combine(_s.Root, "second-recovery.txt");
        _s.RunOk(["key", "add", _s.Volume, "--unlock-passfile", _pass, "--recovery", "--recovery-key-file", file]);
        Assert.Equal(0, _s.Opens(["--recovery-key"], stdin: File.ReadAllText(file)));
    }
}
