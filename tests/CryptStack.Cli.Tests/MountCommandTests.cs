using System.Text.RegularExpressions;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// `cryptstack mount` and `unmount` end to end: the built executable, real FUSE mounts, the daemon in
/// the background. Every failure leaves nothing mounted; every test leaves nothing running.
/// </summary>
public sealed class MountCommandTests : IDisposable
{
    private const string Passphrase = "mount test passphrase";
    private readonly Session _s = new();
    private readonly DaemonMount _m;

    public MountCommandTests() => _m = new DaemonMount(_s);

    public void Dispose()
    {
        _m.Dispose();
        _s.Dispose();
    }

    private string[] InitWithPassphrase()
    {
        string[] secret = ["--passfile", _s.PassFile(Passphrase)];
        _s.Init(secret);
        return secret;
    }

    private string[] MountArgs(string[] secret, params string[] extra) => ["mount", _s.Volume, _m.MountPoint, .. secret, .. extra, .. _m.DaemonOptions];

    [Theory]
    [InlineData("passfile")]
    [InlineData("keyfile")]
    [InlineData("extpass")]
    public void Mount_and_unmount_with_each_secret_source(string source)
    {
        string[] secret = source switch
        {
            "passfile" => ["--passfile", _s.PassFile(Passphrase)],
            "keyfile" => ["--keyfile", _s.KeyFile()],
            _ => ["--extpass", $"cat '{_s.PassFile(Passphrase, "extpass.txt")}'"],
        };
        _s.Init(secret);

        _s.RunOk(MountArgs(secret));
        int pid = _m.Started();
        Assert.Equal("fuse.cryptstack", _m.FsType);
        File.WriteAllText(_m.P("hello.txt"), "plaintext via " + source);
        Assert.Equal("plaintext via " + source, File.ReadAllText(_m.P("hello.txt")));
        Assert.DoesNotContain(Directory.EnumerateFiles(_s.Volume, "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f) == "hello.txt" || File.ReadAllText(f).Contains("plaintext via"));

        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.False(_m.IsMounted);
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)), $"daemon {pid} still running after unmount");
        Assert.False(File.Exists(_m.PidFile), "the daemon left its pid file");

        // And the file is there, encrypted, next time.
        _s.RunOk(MountArgs(secret));
        _m.Started();
        Assert.Equal("plaintext via " + source, File.ReadAllText(_m.P("hello.txt")));
    }

    [Fact]
    public void Wrong_passphrase_exits_WrongSecret_and_mounts_nothing()
    {
        InitWithPassphrase();
        var r = _s.RunFails(ExitCodes.WrongSecret, MountArgs(["--passfile", _s.PassFile("not the passphrase", "wrong.txt")]));
        Assert.Contains("passphrase does not open any keyslot", r.StdErr);
        Assert.False(_m.IsMounted);
        Assert.False(File.Exists(_m.PidFile));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_m.MountPoint));
    }

    [Fact]
    public void Wrong_passphrase_on_stdin_exits_WrongSecret_in_the_foreground_too()
    {
        InitWithPassphrase();
        _s.RunFails(ExitCodes.WrongSecret, MountArgs([], "-f"), stdin: "not the passphrase\n");
        Assert.False(_m.IsMounted);
    }

    [Fact]
    public void Mount_point_not_empty_exits_MountPointNotEmpty_unless_nonempty()
    {
        string[] secret = InitWithPassphrase();
        File.WriteAllText(_m.P("already-here"), "");
        var r = _s.RunFails(ExitCodes.MountPointNotEmpty, MountArgs(secret));
        Assert.Contains("-o nonempty", r.StdErr);
        Assert.False(_m.IsMounted);

        _s.RunOk(MountArgs(secret, "-o", "nonempty"));
        _m.Started();
        Assert.False(File.Exists(_m.P("already-here")), "the mount should hide what the directory held");
    }

    [Fact]
    public void Mount_on_a_mounted_directory_exits_AlreadyMounted()
    {
        string[] secret = InitWithPassphrase();
        _s.RunOk(MountArgs(secret));
        int pid = _m.Started();

        var r = _s.RunFails(ExitCodes.AlreadyMounted, ["mount", _s.Volume, _m.MountPoint, .. secret]);
        Assert.Contains("already mounted", r.StdErr);
        Assert.Single(File.ReadLines("/proc/self/mounts"), l => l.Split(' ')[1] == _m.MountPoint);
        Assert.True(DaemonMount.ProcessAlive(pid));
    }

    [Fact]
    public void Mount_left_by_a_killed_daemon_is_reported_and_cleared_by_unmount_with_nothing_lost()
    {
        string[] secret = InitWithPassphrase();
        _s.RunOk(MountArgs(secret));
        int pid = _m.Started();
        File.WriteAllText(_m.P("kept"), "written before the kill");
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)));

        var r = _s.RunFails(ExitCodes.AlreadyMounted, ["mount", _s.Volume, _m.MountPoint, .. secret]);
        Assert.Contains($"cryptstack unmount {_m.MountPoint}", r.StdErr);
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.False(_m.IsMounted);

        _s.RunOk(MountArgs(secret));
        _m.Started();
        Assert.Equal("written before the kill", File.ReadAllText(_m.P("kept")));
    }

    [Fact]
    public void Directory_without_a_volume_exits_NotAVolume()
    {
        string notAVolume = Path.Combine(_s.Root, "plain");
        Directory.CreateDirectory(notAVolume);
        var r = _s.RunFails(ExitCodes.NotAVolume, ["mount", notAVolume, _m.MountPoint, "--passfile", _s.PassFile(Passphrase), .. _m.DaemonOptions]);
        Assert.Contains("cryptstack init", r.StdErr);
        Assert.False(_m.IsMounted);
    }

    [Fact]
    public void Unmount_of_a_directory_that_is_not_mounted_exits_NotMounted()
    {
        var r = _s.RunFails(ExitCodes.NotMounted, ["unmount", _m.MountPoint]);
        Assert.Contains("not a FUSE mount", r.StdErr);
    }

    [Fact]
    public void Read_only_mount_refuses_writes_with_EROFS()
    {
        string[] secret = InitWithPassphrase();
        _s.RunOk(MountArgs(secret));
        _m.Started();
        File.WriteAllText(_m.P("existing.txt"), "written before");
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)));

        _s.RunOk(MountArgs(secret, "-o", "ro"));
        _m.Started();
        Assert.Contains("ro", _m.MountOptions);
        Assert.Equal("written before", File.ReadAllText(_m.P("existing.txt")));
        foreach (string[] write in new[]
        {
            new[] { "touch", _m.P("new.txt") },
            new[] { "mkdir", _m.P("dir") },
            new[] { "sh", "-c", $"echo more >> '{_m.P("existing.txt")}'" },
            new[] { "rm", _m.P("existing.txt") },
        })
        {
            var r = DaemonMount.Run(write[0], write[1..]);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("Read-only file system", r.StdErr);
        }
        Assert.Equal("written before", File.ReadAllText(_m.P("existing.txt")));
    }

    [Fact]
    public void Status_lists_the_mount_as_encrypted()
    {
        string[] secret = InitWithPassphrase();
        _s.RunOk(MountArgs(secret, "-o", "ro"));
        int pid = _m.Started();
        string status = _s.RunOk(["status"]).StdOut;
        string line = Assert.Single(status.Split('\n'), l => l.Contains(_m.MountPoint));
        Assert.Matches($@"^{Regex.Escape(_s.Volume)}\s+{Regex.Escape(_m.MountPoint)}\s+encrypted\s+pid {pid}\s+ro\b", line);
    }

    [Fact]
    public void Log_file_has_the_mounted_line_and_no_secret()
    {
        string key = _s.KeyFile();
        _s.Init(["--keyfile", key]);
        _s.RunOk(MountArgs(["--keyfile", key], "--debug"));
        _m.Started();
        File.WriteAllText(_m.P("note.txt"), "some plaintext");
        _ = File.ReadAllText(_m.P("note.txt"));
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)));

        string log = _m.Log;
        Assert.Matches($@"(?m)^\S+ info: {Regex.Escape(_s.Volume)} mounted on {Regex.Escape(_m.MountPoint)}$", log);
        Assert.Contains($"{_m.MountPoint} unmounted", log);
        string keyBytes = File.ReadAllText(key, System.Text.Encoding.Latin1);
        byte[] raw = File.ReadAllBytes(key);
        Assert.DoesNotContain(Convert.ToHexString(raw), log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(raw), log);
        Assert.DoesNotContain(keyBytes, File.ReadAllText(_m.LogFile, System.Text.Encoding.Latin1));
        Assert.DoesNotContain("some plaintext", log);
    }

    [Fact]
    public void Passphrase_never_reaches_the_log_or_the_daemon_command_line()
    {
        InitWithPassphrase();
        // No secret option: the parent reads the line from stdin and pipes it to the daemon.
        _s.RunOk(MountArgs([], "--debug"), stdin: Passphrase + "\n");
        int pid = _m.Started();
        string cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        Assert.Contains("--secret-stdin passphrase", cmdline);
        Assert.DoesNotContain(Passphrase, cmdline);
        Directory.CreateDirectory(_m.P("d"));
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)));
        Assert.Contains("mounted on", _m.Log);
        Assert.DoesNotContain(Passphrase, _m.Log);
    }
}
