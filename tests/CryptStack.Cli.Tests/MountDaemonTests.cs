using System.Diagnostics;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>The background daemon's life: SIGTERM and --idle end it, and they leave no stale mount.</summary>
public sealed class MountDaemonTests : IDisposable
{
    private readonly Session _s = new();
    private readonly DaemonMount _m;
    private readonly string[] _secret;

    public MountDaemonTests()
    {
        _m = new DaemonMount(_s);
        _secret = ["--passfile", _s.PassFile("daemon test passphrase")];
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
    public void Sigterm_unmounts_cleanly_and_ends_the_daemon()
    {
        Mount();
        File.WriteAllText(_m.P("kept.txt"), "still here");
        _m.Terminate();

        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(15)), "the daemon outlived SIGTERM");
        Assert.False(_m.IsMounted, "SIGTERM left the mount behind");
        // Not a stale mount ("Transport endpoint is not connected"): an ordinary empty directory.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_m.MountPoint));
        Assert.False(File.Exists(_m.PidFile));
        Assert.Contains("unmounted", _m.Log);

        Mount();
        Assert.Equal("still here", File.ReadAllText(_m.P("kept.txt")));
    }

    [Fact]
    public void Idle_mount_unmounts_itself_and_the_daemon_exits()
    {
        var sw = Stopwatch.StartNew();
        Mount("--idle", "2s");
        File.WriteAllText(_m.P("touched.txt"), "x");
        var lastUse = sw.Elapsed;

        Assert.True(DaemonMount.WaitUntil(() => !_m.IsMounted, TimeSpan.FromSeconds(15)), "an idle mount stayed mounted");
        var unmountedAfter = sw.Elapsed - lastUse;
        Assert.True(unmountedAfter >= TimeSpan.FromSeconds(1.9), $"unmounted after {unmountedAfter.TotalSeconds:F1} s, before the 2 s idle time");
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)), "the daemon outlived its idle unmount");
        Assert.False(File.Exists(_m.PidFile));
        Assert.Contains("unmounted: unused for 2s", _m.Log);
    }

    [Fact]
    public void Idle_mount_stays_while_a_file_is_open_and_goes_once_it_is_closed()
    {
        Mount("--idle", "1s");
        using (var held = new FileStream(_m.P("held.txt"), FileMode.Create, FileAccess.ReadWrite))
        {
            held.Write("held open"u8);
            held.Flush();
            Thread.Sleep(TimeSpan.FromSeconds(3.5));
            Assert.True(_m.IsMounted, "unmounted while a file was open");
            Assert.True(_m.DaemonAlive);
        }
        Assert.True(DaemonMount.WaitUntil(() => !_m.IsMounted, TimeSpan.FromSeconds(15)), "stayed mounted after the file was closed");
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Idle_mount_stays_while_a_process_works_in_it()
    {
        Mount("--idle", "1s");
        // A shell whose working directory is the mount touches nothing after cd, but the mount is
        // busy: the idle unmount is not lazy and must leave it alone.
        var shell = Process.Start(new ProcessStartInfo("sh", ["-c", "cd \"$1\" && sleep 30", "sh", _m.MountPoint]) { UseShellExecute = false })!;
        try
        {
            Thread.Sleep(TimeSpan.FromSeconds(3.5));
            Assert.True(_m.IsMounted, "the idle unmount detached a mount that was in use");
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            shell.WaitForExit();
            shell.Dispose();
        }
        Assert.True(DaemonMount.WaitUntil(() => !_m.IsMounted, TimeSpan.FromSeconds(15)), "stayed mounted once no longer used");
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Idle_mount_goes_although_something_stats_it_every_half_second()
    {
        Mount("--idle", "2s");
        // A prompt, a file manager or monitoring: stat, df and mountpoint do not count as use.
        var clock = Stopwatch.StartNew();
        while (_m.IsMounted && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            try { _ = new DirectoryInfo(_m.MountPoint).LastWriteTimeUtc; _ = File.Exists(_m.P("nothing-here")); }
            catch (IOException) { }
            Thread.Sleep(500);
        }
        Assert.False(_m.IsMounted, "stat calls kept an idle mount alive");
        Assert.True(_m.WaitForDaemonExit(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("1h30m", 5400)]
    [InlineData("500ms", 0.5)]
    [InlineData("90", 90)]
    [InlineData("1.5h", 5400)]
    public void Idle_takes_go_durations(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CryptStack.Cli.Commands.MountOptionSet.ParseDuration(text));

    [Fact]
    public void Idle_zero_means_never_and_nonsense_is_a_usage_error()
    {
        Assert.Null(CryptStack.Cli.Commands.MountOptionSet.ParseDuration("0"));
        Assert.Null(CryptStack.Cli.Commands.MountOptionSet.ParseDuration("0s"));
        var r = _s.RunFails(ExitCodes.Usage, ["mount", _s.Volume, _m.MountPoint, .. _secret, "--idle", "10x"]);
        Assert.Contains("--idle", r.StdErr);
    }
}
