using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CryptStack.Cli.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Cli.Tests;

/// <summary>
/// docs/systemd/cryptstack@.service and scripts/mount.fuse.cryptstack, run for real: the unit's
/// ExecStart under a stand-in for systemd with a notify socket, and an fstab line through util-linux
/// mount with an alternative fstab (-T), so /etc/fstab is never touched.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdAndFstabTests : IDisposable
{
    private readonly Session _s = new();
    private readonly DaemonMount _m;
    private readonly string _passFile;

    public SystemdAndFstabTests()
    {
        _m = new DaemonMount(_s);
        _passFile = _s.PassFile("systemd and fstab passphrase");
    }

    public void Dispose()
    {
        _m.Dispose();
        _s.Dispose();
    }

    private static string Repo(params string[] parts) => Path.Combine([InfoAndConfigTests.RepoRoot(), .. parts]);

    /// <summary>A unit file's Key= value (the first one).</summary>
    private static string UnitValue(string unit, string key) =>
        unit.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    /// <summary>An Exec line of the unit with systemd's expansions for this test's paths.</summary>
    private string[] ExecLine(string unit, string key, string[] options) =>
        UnitValue(unit, key).Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(word => word switch
        {
            "/usr/local/bin/cryptstack" => [CliRunner.Executable],
            "$OPTIONS" => options, // unbraced: systemd splits the value into words
            "${CIPHERDIR}" => [_s.Volume],
            "%f" => [_m.MountPoint],
            _ when word.Contains('$') || word.Contains('%') => throw new InvalidOperationException($"{key}: the test does not expand '{word}'"),
            _ => new[] { word },
        }).ToArray();

    [Fact]
    public async Task Systemd_unit_is_notified_ready_once_mounted_and_ExecStop_ends_the_service()
    {
        _s.Init(["--passfile", _passFile]);
        string unit = File.ReadAllText(Repo("docs", "systemd", "cryptstack@.service"));
        Assert.Equal("notify", UnitValue(unit, "Type"));
        string[] start = ExecLine(unit, "ExecStart", ["--passfile", _passFile, "--pid-file", _m.PidFile]);
        string[] stop = ExecLine(unit, "ExecStop", []);
        Assert.Equal(CliRunner.Executable, stop[0]);
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            string instance = Path.Combine(_s.Root, "cryptstack@srv-vault.service");
            File.WriteAllText(instance, unit.Replace("/usr/local/bin/cryptstack", CliRunner.Executable));
            var verify = DaemonMount.Run("systemd-analyze", "verify", instance);
            Assert.True(verify.ExitCode == 0 && verify.StdErr.Trim() == "", $"systemd-analyze verify: {verify.StdErr}");
        }

        // Microsoft.Extensions.Hosting.Systemd believes in systemd when its parent process is named
        // "systemd" and NOTIFY_SOCKET is set; a script of that name stands in for it.
        string fakeSystemd = Path.Combine(_s.Root, "bin", "systemd");
        Directory.CreateDirectory(Path.GetDirectoryName(fakeSystemd)!);
        File.WriteAllText(fakeSystemd, "#!/bin/sh\n\"$@\"\nexit $?\n");
        File.SetUnixFileMode(fakeSystemd, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string socketPath = Path.Combine(_s.Root, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        notify.ReceiveTimeout = 30_000;

        var psi = new ProcessStartInfo(fakeSystemd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in start) psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        using var service = Process.Start(psi)!;
        service.StandardInput.Close();
        var stderr = service.StandardError.ReadToEndAsync();
        var stdout = service.StandardOutput.ReadToEndAsync();
        try
        {
            string first = Receive(notify);
            bool mountedWhenReady = _m.IsMounted;
            Assert.True(first.Contains("READY=1"), $"first notification: '{first}'");
            Assert.True(mountedWhenReady, "READY=1 came before the mount was there");
            Assert.False(service.HasExited);
            _m.Started();
            File.WriteAllText(_m.P("via-systemd.txt"), "x");

            var r = CliRunner.Run(stop[1..]);
            Assert.True(r.ExitCode == 0, $"ExecStop failed: {r.StdErr}");
            Assert.Contains("STOPPING=1", Receive(notify));
            Assert.True(service.WaitForExit(15_000), "the service did not end after ExecStop");
            Assert.Equal(0, service.ExitCode);
            Assert.False(_m.IsMounted);
            // In the foreground the log goes to stderr (the journal, under systemd).
            string log = await stderr;
            Assert.Contains("mounted on " + _m.MountPoint, log);
            Assert.DoesNotContain("systemd and fstab passphrase", log + await stdout);
        }
        finally
        {
            if (!service.HasExited)
            {
                _m.Dispose();
                if (!service.WaitForExit(20_000)) service.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Receive(Socket socket)
    {
        byte[] buffer = new byte[4096];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Helper_turns_fstab_options_into_cryptstack_options()
    {
        // -f: mount's "fake", so the helper only shows (-v) what it would run.
        var r = DaemonMount.Run("env", "-u", "CRYPTSTACK", "bash", Repo("scripts", "mount.fuse.cryptstack"), "/srv/vault.enc", "/srv/vault",
            "-f", "-v", "-o", "rw,passfile=/etc/cs/pass,idle=10m,allow_other,nosuid,nodev,noexec,defaults,_netdev,nofail,user,x-systemd.automount,comment=x,pid_file=/run/cs.pid,shared",
            "-t", "fuse.cryptstack");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(
            "mount.fuse.cryptstack: cryptstack mount --passfile /etc/cs/pass --idle 10m --pid-file /run/cs.pid -o allow_other,noexec,shared /srv/vault.enc /srv/vault",
            r.StdErr.Trim());
    }

    [RootFact("the helper must be installed as /sbin/mount.fuse.cryptstack (libmount looks for helpers only in /sbin, /sbin/fs.d and /sbin/fs)")]
    public async Task Fstab_line_mounts_through_the_helper_and_umount_ends_the_daemon()
    {
        _s.Init(["--passfile", _passFile]);
        string fstab = Path.Combine(_s.Root, "fstab");
        File.WriteAllText(fstab,
            "# the test's own fstab (mount -T); /etc/fstab is not touched\n" +
            $"{_s.Volume}  {_m.MountPoint}  fuse.cryptstack  passfile={_passFile},pid_file={_m.PidFile},log_file={_m.LogFile},idle=1h,noexec,noauto,nofail,_netdev,x-systemd.automount  0  0\n");

        using var helper = InstalledHelper.Install();
        var psi = new ProcessStartInfo("mount", ["-T", fstab, _m.MountPoint]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["CRYPTSTACK"] = CliRunner.Executable;
        using (var mount = Process.Start(psi)!)
        {
            var err = mount.StandardError.ReadToEndAsync();
            _ = mount.StandardOutput.ReadToEnd();
            Assert.True(mount.WaitForExit(60_000), "mount did not return");
            Assert.True(mount.ExitCode == 0, $"mount -T failed ({mount.ExitCode}): {await err}");
        }
        _m.Started();
        Assert.Equal("fuse.cryptstack", _m.FsType);
        Assert.Contains("noexec", _m.MountOptions);
        File.WriteAllText(_m.P("from-fstab.txt"), "hello");
        Assert.Equal("hello", File.ReadAllText(_m.P("from-fstab.txt")));
        Assert.Contains(_m.MountPoint, _s.RunOk(["status"]).StdOut);

        var umount = DaemonMount.Run("umount", _m.MountPoint);
        Assert.True(umount.ExitCode == 0, umount.StdErr);
        Assert.False(_m.IsMounted);
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)), "umount did not end the daemon");
        Assert.Contains("mounted on " + _m.MountPoint, _m.Log);
    }

    /// <summary>
    /// scripts/package-deb.sh, from the framework-dependent build the tests use (the shipped package is a
    /// self-contained publish of the same project), unpacked into a scratch root: dpkg-deb -x is what dpkg
    /// -i would put on disk, without touching this machine's package database.
    /// </summary>
    private static readonly Lazy<(string Deb, string Root)> Package = new(() =>
    {
        string scratch = Path.Combine(Path.GetTempPath(), "cryptstack-cli-tests", "package-" + Guid.NewGuid().ToString("N")[..8]);
        string build = Repo("src", "CryptStack.Cli", "bin", "Release", "net10.0");
        var r = DaemonMount.RunFor(TimeSpan.FromMinutes(5), "bash", Repo("scripts", "package-deb.sh"), "--from", build, "--out", scratch);
        Assert.True(r.ExitCode == 0, $"package-deb.sh failed: {r.StdErr}");
        string deb = r.StdOut.Trim();
        string root = Path.Combine(scratch, "root");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } };
        Assert.Equal(0, DaemonMount.Run("dpkg-deb", "-x", deb, root).ExitCode);
        return (deb, root);
    });

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    [SkippableFact]
    public void Package_has_the_command_man_page_completion_unit_and_helper()
    {
        Requires.Tool("dpkg-deb", "builds and unpacks the package");
        var (deb, root) = Package.Value;
        Assert.Contains("fuse3", DaemonMount.Run("dpkg-deb", "-f", deb, "Depends").StdOut);
        string cli = Path.Combine(root, "usr", "bin", "cryptstack");
        Assert.Equal("../lib/cryptstack/cryptstack", new FileInfo(cli).LinkTarget);
        Assert.Equal(0, DaemonMount.Run(cli, "--version").ExitCode);
        Assert.True(File.Exists(Path.Combine(root, "sbin", "mount.fuse.cryptstack")));
        Assert.Contains("ExecStart=/usr/bin/cryptstack mount", File.ReadAllText(Path.Combine(root, "lib", "systemd", "system", "cryptstack@.service")));
        Assert.True(File.Exists(Path.Combine(root, "usr", "share", "doc", "cryptstack", "cli.md")));

        // Completion of a command and of an option, through the installed script and binary.
        string completion = Path.Combine(root, "usr", "share", "bash-completion", "completions", "cryptstack");
        string Complete(params string[] words)
        {
            string line = string.Join(' ', new[] { "cryptstack" }.Concat(words));
            string script = $"source {Quote(completion)}; COMP_WORDS=({Quote(cli)} {string.Join(' ', words.Select(Quote))}); " +
                $"COMP_CWORD={words.Length}; COMP_LINE={Quote(line)}; COMP_POINT=${{#COMP_LINE}}; _cryptstack; printf '%s\\n' \"${{COMPREPLY[@]}}\"";
            return DaemonMount.Run("bash", "-c", script).StdOut;
        }
        Assert.Contains("mount", Complete("mou").Split('\n'));
        Assert.Equal(["--passfile"], Complete("mount", "--passf").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public void Package_man_page_is_generated_from_the_command_tree()
    {
        Requires.Tool("dpkg-deb", "builds and unpacks the package");
        Requires.Tool("man", "renders the page (man-db)");
        var (_, root) = Package.Value;
        var r = DaemonMount.Run("man", "-l", Path.Combine(root, "usr", "share", "man", "man1", "cryptstack.1.gz"));
        Assert.True(r.ExitCode == 0, r.StdErr);
        string page = System.Text.RegularExpressions.Regex.Replace(r.StdOut, ".\b", ""); // overstrike bold/underline
        foreach (string expected in new[] { "cryptstack mount", "cryptstack key add", "--passfile", "--recovery-key-file", "EXIT STATUS", "mount.fuse.cryptstack" })
            Assert.Contains(expected, page);
    }

    [RootFact("installs the package's helper as /sbin/mount.fuse.cryptstack for the fstab line (libmount looks only in /sbin)")]
    public void Package_helper_and_binary_mount_an_fstab_line_through_mount_T()
    {
        var (_, root) = Package.Value;
        _s.Init(["--passfile", _passFile]);
        string fstab = Path.Combine(_s.Root, "fstab");
        File.WriteAllText(fstab, $"{_s.Volume}  {_m.MountPoint}  fuse.cryptstack  passfile={_passFile},pid_file={_m.PidFile},log_file={_m.LogFile},nofail  0  0\n");
        using var helper = InstalledHelper.Install(Path.Combine(root, "sbin", "mount.fuse.cryptstack"));
        var psi = new ProcessStartInfo("mount", ["-T", fstab, _m.MountPoint]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["CRYPTSTACK"] = Path.Combine(root, "usr", "bin", "cryptstack");
        using (var mount = Process.Start(psi)!)
        {
            string err = mount.StandardError.ReadToEnd();
            Assert.True(mount.WaitForExit(60_000) && mount.ExitCode == 0, $"mount -T failed: {err}");
        }
        _m.Started();
        Assert.Equal("fuse.cryptstack", _m.FsType);
        File.WriteAllText(_m.P("through-the-package.txt"), "ok");
        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.False(_m.IsMounted);
    }

    /// <summary>scripts/mount.fuse.cryptstack as /sbin/mount.fuse.cryptstack for one test; what was there before comes back.</summary>
    private sealed class InstalledHelper : IDisposable
    {
        private const string Target = "/sbin/mount.fuse.cryptstack";
        private readonly byte[]? _previous;
        private readonly UnixFileMode _previousMode;

        private InstalledHelper(string source)
        {
            if (File.Exists(Target))
            {
                _previous = File.ReadAllBytes(Target);
                _previousMode = File.GetUnixFileMode(Target);
            }
            File.Copy(source, Target, overwrite: true);
            File.SetUnixFileMode(Target, (UnixFileMode)0b111_101_101);
        }

        public static InstalledHelper Install(string? source = null) => new(source ?? Repo("scripts", "mount.fuse.cryptstack"));

        public void Dispose()
        {
            if (_previous == null)
            {
                File.Delete(Target);
                return;
            }
            File.WriteAllBytes(Target, _previous);
            File.SetUnixFileMode(Target, _previousMode);
        }
    }
}
