using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>`info` without a secret, and what every command says about a missing, damaged or foreign config.</summary>
public sealed class InfoAndConfigTests : IDisposable
{
    private readonly Session _s = new();
    private readonly string _pass;

    public InfoAndConfigTests()
    {
        _pass = _s.PassFile("info passphrase");
        _s.Init(["--passfile", _pass]);
    }

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Info_shows_format_suite_features_and_slots_without_a_secret()
    {
        string o = _s.RunOk(["info", _s.Volume], stdin: "").StdOut;
        Assert.Matches(@"Format version:\s+2\n", o);
        Assert.Matches(@"Volume id:\s+[0-9a-f]{32}\n", o);
        Assert.Matches(@"Content cipher:\s+aes-256-gcm-4096\n", o);
        Assert.Matches(@"Name cipher:\s+aes-siv-cmac-512\n", o);
        Assert.Matches(@"Features:\s+dir-ids, long-names, encrypted-link-targets, encrypted-xattrs, bound-dir-ids\n", o);
        Assert.DoesNotContain("Lacks:", o);
        Assert.Matches(@"(?m)^0\s+passphrase\s+argon2id", o);
        Assert.Matches(@"(?m)^1\s+recovery\s+hkdf", o);
        Assert.Contains("not yet authenticated", o);
    }

    [Fact]
    public void Info_of_the_sample_volume_lists_its_three_slots()
    {
        string sample = Path.Combine(RepoRoot(), "keys-sample", "volume");
        string o = _s.RunOk(["info", sample]).StdOut;
        Assert.Matches(@"Keyslots:\s+3\n", o);
        Assert.Matches(@"(?m)^2\s+keyfile\s+hkdf", o);
        // The sample is a format version 1 volume: info says what it lacks.
        Assert.Matches(@"Format version:\s+1\n", o);
        Assert.Matches(@"Lacks:\s+directory ids are not bound to their directories", o);
    }

    [Fact]
    public void A_directory_without_a_config_is_not_a_volume()
    {
        string empty = Path.Combine(_s.Root, "empty");
        Directory.CreateDirectory(empty);
        foreach (string[] args in new[] { ["info", empty], ["key", "list", empty], new[] { "key", "test", empty, "--passfile", _pass } })
        {
            var r = _s.RunFails(ExitCodes.NotAVolume, args);
            Assert.Contains("cryptstack.conf: not found", r.StdErr);
        }
    }

    [Fact]
    public void Not_a_volume_is_reported_before_asking_for_a_secret()
    {
        string empty = Path.Combine(_s.Root, "empty");
        Directory.CreateDirectory(empty);
        // No secret on stdin: had the command asked first it would fail with SecretUnavailable.
        _s.RunFails(ExitCodes.NotAVolume, ["passwd", empty], stdin: "");
    }

    [Fact]
    public void A_malformed_config_gives_the_corrupt_config_code_and_points_to_the_backup()
    {
        string text = File.ReadAllText(_s.ConfigPath);
        File.WriteAllText(_s.ConfigPath, text[..(text.Length / 2)]);

        var info = _s.RunFails(ExitCodes.CorruptConfig, ["info", _s.Volume]);
        Assert.Contains("malformed volume config", info.StdErr);
        Assert.Contains("cryptstack.conf.bak", info.StdErr);
        _s.RunFails(ExitCodes.CorruptConfig, ["key", "test", _s.Volume, "--passfile", _pass]);

        // The backup the message points to restores the volume.
        File.Copy(_s.ConfigPath + ".bak", _s.ConfigPath, overwrite: true);
        Assert.Equal(0, _s.Opens(["--passfile", _pass]));
    }

    [Fact]
    public void A_well_formed_but_altered_config_fails_authentication_when_opened()
    {
        // Drop the recovery slot: the file still parses and slot 0 still unwraps, but the MAC no longer matches.
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_s.ConfigPath))!;
        config["keyslots"]!.AsArray().RemoveAt(1);
        File.WriteAllText(_s.ConfigPath, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        Assert.Matches(@"Keyslots:\s+1\n", _s.RunOk(["info", _s.Volume]).StdOut);
        var r = _s.RunFails(ExitCodes.CorruptConfig, ["key", "test", _s.Volume, "--passfile", _pass]);
        Assert.Contains("config authentication failed", r.StdErr);
    }

    [Fact]
    public void A_newer_format_version_is_unsupported()
    {
        string text = File.ReadAllText(_s.ConfigPath);
        File.WriteAllText(_s.ConfigPath, text.Replace("\"formatVersion\": 2", "\"formatVersion\": 3"));
        var r = _s.RunFails(ExitCodes.Unsupported, ["info", _s.Volume]);
        Assert.Contains("format version 3 is not supported", r.StdErr);
    }

    [Fact]
    public void Init_refuses_a_directory_that_is_not_empty()
    {
        string before = File.ReadAllText(_s.ConfigPath);
        var r = _s.RunFails(ExitCodes.CipherDirNotEmpty, ["init", _s.Volume, "--passfile", _pass]);
        Assert.Contains("not empty", r.StdErr);
        Assert.Equal(before, File.ReadAllText(_s.ConfigPath));
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CryptStack.sln"))) return dir.FullName;
        }
        // Built with --artifacts-path outside the tree: the source tree is where this file was compiled.
        return Path.GetFullPath(Path.Combine(SourceDirectory(), "..", ".."));
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
