using System.Diagnostics;
using System.Text.RegularExpressions;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// The daemon's own files and habits: pid file 0644 and log 0600 whatever the umask, no symlink followed,
/// the log appended (logrotate copytruncate) and reopened on SIGHUP, bad paths refused before unlocking,
/// working directory "/", syslog fallback, log lines without .NET names, SIGTERM lets open files finish.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DaemonFileTests : IDisposable
{
    private readonly Session _s = new();
    private readonly DaemonMount _m;
    private readonly string[] _secret;

    public DaemonFileTests()
    {
        _m = new DaemonMount(_s);
        _secret = ["--passfile", _s.PassFile("daemon file passphrase")];
        _s.Init(_secret);
    }

    public void Dispose()
    {
        _m.Dispose();
        _s.Dispose();
    }

    private int Mount(params string[] extra)
    {
        _s.RunOk(["mount", _s.Volume, _m.MountPoint, .. _secret, .. extra, .. _m.DaemonOptions]);
        return _m.Started();
    }

    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public void Pid_file_is_0644_and_a_new_log_0600_though_the_daemon_runs_with_umask_0()
    {
        int pid = Mount();
        Assert.Equal(Mode0644, File.GetUnixFileMode(_m.PidFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_m.LogFile));
        Assert.Equal("/", new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget);
    }

    [Fact]
    public void An_existing_log_keeps_its_mode_and_a_copytruncate_leaves_no_hole()
    {
        File.WriteAllText(_m.LogFile, "");
        File.SetUnixFileMode(_m.LogFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Mount();
        Assert.Contains("mounted on", _m.Log);
        // logrotate copytruncate: the file is cut to 0 while the daemon holds it open.
        using (var f = new FileStream(_m.LogFile, FileMode.Open, FileAccess.Write)) f.SetLength(0);
        _s.RunOk(["unmount", _m.MountPoint]);
        byte[] log = File.ReadAllBytes(_m.LogFile);
        Assert.DoesNotContain((byte)0, log);
        Assert.Matches(@"^\S+ info: \S+ unmounted", System.Text.Encoding.UTF8.GetString(log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(_m.LogFile));
    }

    [Fact]
    public void Sighup_reopens_the_log_file_after_rotation_and_the_daemon_keeps_serving()
    {
        Mount();
        File.Move(_m.LogFile, _m.LogFile + ".1");
        _m.Signal(Signals.SIGHUP);
        Assert.True(DaemonMount.WaitUntil(() => _m.Log.Contains("log file reopened"), TimeSpan.FromSeconds(10)), "SIGHUP did not reopen the log file");
        Assert.True(_m.DaemonAlive, "SIGHUP ended the daemon");
        File.WriteAllText(_m.P("after-hup.txt"), "still served");
        Assert.Equal("still served", File.ReadAllText(_m.P("after-hup.txt")));
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.Contains("unmounted", _m.Log);
        Assert.DoesNotContain("unmounted", File.ReadAllText(_m.LogFile + ".1"));
    }

    [Theory]
    [InlineData("--log-file")]
    [InlineData("--pid-file")]
    public void A_daemon_file_in_a_missing_directory_is_refused_by_option_name_before_unlocking(string option)
    {
        string bad = Path.Combine(_s.Root, "no-such-dir", "file");
        // The passphrase comes from an --extpass that records that it ran: it must not have.
        string marker = Path.Combine(_s.Root, "asked");
        var r = _s.RunFails(ExitCodes.Usage, ["mount", _s.Volume, _m.MountPoint, "--extpass", $"touch {marker}; cat {_secret[1]}", option, bad]);
        Assert.Contains($"{option} {bad}: directory", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
        Assert.False(File.Exists(marker), "the secret was asked for before the paths were checked");
        Assert.False(_m.IsMounted);
    }

    [Fact]
    public void A_pid_file_path_that_is_a_symlink_is_refused()
    {
        string victim = Path.Combine(_s.Root, "victim.txt");
        File.WriteAllText(victim, "not yours");
        File.CreateSymbolicLink(_m.PidFile, victim);
        var r = _s.RunFails(ExitCodes.Usage, ["mount", _s.Volume, _m.MountPoint, .. _secret, "--pid-file", _m.PidFile]);
        Assert.Contains("symbolic link", r.StdErr);
        Assert.Equal("not yours", File.ReadAllText(victim));
        File.Delete(_m.PidFile);
    }

    [SkippableFact]
    public void Without_syslog_the_mount_warns_and_logs_to_a_file()
    {
        Requires.Not(SyslogListening(), "this machine has a syslog on /dev/log; the fallback is exercised where there is none");
        var r = _s.RunOk(["mount", _s.Volume, _m.MountPoint, .. _secret, "--pid-file", _m.PidFile]);
        _m.Started();
        var warning = Regex.Match(r.StdErr, @"no syslog .*; the daemon logs to (\S+)");
        Assert.True(warning.Success, r.StdErr);
        string file = warning.Groups[1].Value;
        Assert.True(DaemonMount.WaitUntil(() => File.Exists(file) && File.ReadAllText(file).Contains($"mounted on {_m.MountPoint}"), TimeSpan.FromSeconds(10)));
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.Contains($"{_m.MountPoint} unmounted", File.ReadAllText(file));
        File.Delete(file);
    }

    private static bool SyslogListening()
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint("/dev/log"));
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    [Fact]
    public void Foreground_log_lines_read_like_a_filesystems()
    {
        var psi = new ProcessStartInfo(CryptStack.Mount.Tests.Harness.Cli.Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        string[] args = ["mount", "-f", _s.Volume, _m.MountPoint, .. _secret, "--pid-file", _m.PidFile];
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var daemon = Process.Start(psi)!;
        var stderr = new System.Text.StringBuilder();
        daemon.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        daemon.BeginErrorReadLine();
        try
        {
            Assert.True(DaemonMount.WaitUntil(() => _m.IsMounted, TimeSpan.FromSeconds(30)), "foreground mount did not come up");
        }
        finally
        {
            DaemonMount.Run("fusermount3", "-u", _m.MountPoint);
            daemon.WaitForExit(30_000);
        }
        string[] lines;
        lock (stderr) lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => Regex.IsMatch(l, $@"^\d\d:\d\d:\d\d\.\d{{3}} info: {Regex.Escape(_s.Volume)} mounted on {Regex.Escape(_m.MountPoint)}$"));
        Assert.All(lines, l => Assert.DoesNotMatch(@"CryptStack\.|Microsoft\.|\[\d+\]", l));
    }

    [Fact]
    public void Sigterm_lets_a_file_open_for_writing_finish_and_close()
    {
        Mount();
        using (var held = new FileStream(_m.P("held.txt"), FileMode.Create, FileAccess.Write))
        {
            held.Write("before "u8);
            held.Flush();
            _m.Terminate();
            Assert.True(DaemonMount.WaitUntil(() => !_m.IsMounted, TimeSpan.FromSeconds(10)), "SIGTERM did not detach the mount");
            Thread.Sleep(TimeSpan.FromSeconds(1.5));
            Assert.True(_m.DaemonAlive, "the daemon ended while a file was still open for writing");
            held.Write("after"u8);
            held.Flush();
        }
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)), "the daemon outlived the last open file");
        Mount();
        Assert.Equal("before after", File.ReadAllText(_m.P("held.txt")));
    }
}
