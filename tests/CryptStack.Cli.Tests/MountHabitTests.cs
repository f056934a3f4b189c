using System.Diagnostics;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// What a gocryptfs user expects of mount, status and unmount: no mount inside CIPHERDIR (or the reverse),
/// status tells a dead daemon and shows `shared`, unmount works through a symlink, leaves other
/// filesystems' mounts alone unless forced, and returns only once the daemon has exited.
/// </summary>
public sealed class MountHabitTests : IDisposable
{
    private readonly Session _s = new();
    private readonly DaemonMount _m;
    private readonly string[] _secret;

    public MountHabitTests()
    {
        _m = new DaemonMount(_s);
        _secret = ["--passfile", _s.PassFile("habit test passphrase")];
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

    [Fact]
    public void Mount_point_inside_cipherdir_is_refused()
    {
        string inside = Path.Combine(_s.Volume, "sub");
        Directory.CreateDirectory(inside);
        var r = _s.RunFails(ExitCodes.Usage, ["mount", _s.Volume, inside, .. _secret]);
        Assert.Contains("inside CIPHERDIR", r.StdErr);
        Assert.False(DaemonMount.IsMountPoint(inside));
    }

    [Fact]
    public void Cipherdir_inside_the_mount_point_is_refused()
    {
        var r = _s.RunFails(ExitCodes.Usage, ["mount", _s.Volume, _s.Root, .. _secret, "-o", "nonempty"]);
        Assert.Contains("inside the mount point", r.StdErr);
        Assert.False(DaemonMount.IsMountPoint(_s.Root));
    }

    [Fact]
    public void Status_shows_shared_and_the_daemon_and_says_when_the_daemon_is_gone()
    {
        int pid = Mount("-o", "shared");
        string line = Assert.Single(_s.RunOk(["status"]).StdOut.Split('\n'), l => l.Contains(_m.MountPoint));
        Assert.Contains($"pid {pid}", line);
        Assert.Contains("shared", line);
        Assert.Contains("encrypted", line);

        using (var daemon = Process.GetProcessById(pid)) daemon.Kill(); // SIGKILL: no clean-up at all
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)));
        var status = _s.RunOk(["status"]).StdOut;
        line = Assert.Single(status.Split('\n'), l => l.Contains(_m.MountPoint));
        Assert.Contains("gone", line);
        Assert.Contains("cryptstack unmount", status);

        _s.RunOk(["unmount", _m.MountPoint]);
        Assert.False(_m.IsMounted);
    }

    [Fact]
    public void Unmount_through_a_symlink_unmounts_the_target_and_waits_for_the_daemon()
    {
        string link = Path.Combine(_s.Root, "link-to-mnt");
        File.CreateSymbolicLink(link, _m.MountPoint);
        _s.RunOk(["mount", _s.Volume, link, .. _secret, .. _m.DaemonOptions]);
        int pid = _m.Started();
        Assert.True(_m.IsMounted);
        File.WriteAllText(_m.P("f.txt"), "through the link");

        _s.RunOk(["unmount", link]);
        Assert.False(_m.IsMounted);
        // unmount returned: the daemon is gone already (keys zeroed, volume free to mount again).
        Assert.False(DaemonMount.ProcessAlive(pid), "unmount returned while the daemon still ran");
        Assert.False(File.Exists(_m.PidFile));
    }

    [SkippableFact]
    public void Unmount_refuses_another_filesystems_fuse_mount_unless_forced()
    {
        Requires.Tool("gocryptfs", "a FUSE mount that is not ours; apt-get install gocryptfs");
        string cipher = Path.Combine(_s.Root, "gocryptfs-cipher");
        Directory.CreateDirectory(cipher);
        string pass = _s.PassFile("gocryptfs pass", "gocryptfs.pass");
        Assert.Equal(0, DaemonMount.Run("gocryptfs", "-q", "-init", "-passfile", pass, "-scryptn", "10", cipher).ExitCode);
        Assert.Equal(0, DaemonMount.Run("gocryptfs", "-q", "-passfile", pass, cipher, _m.MountPoint).ExitCode);
        Assert.Equal("fuse.gocryptfs", _m.FsType);

        var r = _s.RunFails(ExitCodes.Refused, ["unmount", _m.MountPoint]);
        Assert.Contains("fuse.gocryptfs", r.StdErr);
        Assert.Contains("--force", r.StdErr);
        Assert.True(_m.IsMounted);

        _s.RunOk(["unmount", "--force", _m.MountPoint]);
        Assert.False(_m.IsMounted);
    }
}
