using CryptStack.Mount.Tests.Harness;
using CryptStack.Volume;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>
/// `cryptstack rekey`: a new master key, with every header, name, link target and xattr moved to it. Killed (SIGKILL,
/// from inside, after a step chosen by the seed) at random points, the volume still decrypts to the same tree (items
/// under either key), running rekey again finishes, fsck is clean, and the old recovery key opens nothing.
/// </summary>
public sealed class RekeyTests
{
    private static string SampleDir => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "keys-sample"));

    /// <summary>
    /// A format version 1 volume (rekey supports version 1; new volumes are version 2): a copy of the sample volume,
    /// with one of everything written into it through a mount.
    /// </summary>
    private static TestMount VolumeWithEverything()
    {
        var m = TestMount.Start(m => ["mount", m.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(m)], prepare: m =>
        {
            File.Copy(Path.Combine(SampleDir, "INSECURE-SAMPLE-passphrase.txt"), TestVolumes.PassFileOf(m));
            File.Copy(Path.Combine(SampleDir, "INSECURE-SAMPLE-recovery-key.txt"), Path.Combine(m.Root, "old-recovery-key"));
            var r = Shell.Run("cp", "-a", Path.Combine(SampleDir, "volume") + "/.", m.Backing);
            Assert.True(r.ExitCode == 0, r.ToString());
        });
        OfflineRestoreTests.WriteEverything(m);
        for (int i = 0; i < 12; i++) File.WriteAllText(m.P($"docs/deep/n{i}"), $"small file {i}");
        return m;
    }

    [Fact]
    public void Rekey_of_a_format_2_volume_is_refused_and_changes_nothing()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("a"), "a");
        m.Unmount();
        byte[] config = File.ReadAllBytes(m.B("cryptstack.conf"));
        var r = Rekey(m, m.Backing, Path.Combine(m.Root, "rk"));
        Assert.Equal(19, r.ExitCode);
        Assert.Contains("not supported yet", r.StdErr);
        Assert.Equal(config, File.ReadAllBytes(m.B("cryptstack.conf")));
        Assert.False(File.Exists(m.B(RekeyJournal.FileName)));
    }

    private static CliRunner.Result Decrypt(TestMount m, string cipher, string dest) =>
        CliRunner.Run(["decrypt", cipher, dest, "--passfile", TestVolumes.PassFileOf(m), "--quiet"], timeout: TimeSpan.FromMinutes(2));

    private static CliRunner.Result Rekey(TestMount m, string cipher, string keyFile, long? killAfter = null) =>
        CliRunner.Run(["rekey", cipher, "--passfile", TestVolumes.PassFileOf(m), "--quiet", "--recovery-key-file", keyFile, "--drop-other-slots"],
            timeout: TimeSpan.FromMinutes(2),
            env: killAfter is { } n ? new Dictionary<string, string> { [RekeySteps.KillAfterVariable] = n.ToString() } : null);

    [Fact]
    public void Rekey_killed_at_random_points_leaves_a_readable_volume_and_finishes_when_run_again()
    {
        using var m = VolumeWithEverything();
        var expected = OfflineRestoreTests.SnapshotThroughFreshMount(m);
        string oldRecovery = Path.Combine(m.Root, "old-recovery-key");

        // The number of steps of a whole run, from an uninterrupted rekey of a copy.
        string full = Path.Combine(m.Root, "full");
        Assert.Equal(0, Shell.Run("cp", "-a", m.Backing, full).ExitCode);
        var whole = Rekey(m, full, Path.Combine(m.Root, "rk-full"));
        Assert.True(whole.ExitCode == 0, whole.StdErr + whole.StdOut);
        Assert.Equal(expected, Snapshot(m, full, "full-out"));

        foreach (int seed in new[] { 1, 2, 3, 4, 5 })
        {
            string copy = Path.Combine(m.Root, $"copy{seed}");
            Assert.Equal(0, Shell.Run("cp", "-a", m.Backing, copy).ExitCode);
            // Steps: journal, config, each item, final config; 30 items or so here.
            int killAfter = new Random(seed).Next(1, 45);
            var killed = Rekey(m, copy, Path.Combine(m.Root, $"rk{seed}"), killAfter);
            Assert.True(killed.ExitCode is 137 or 0, $"seed {seed}, kill after {killAfter}: exit {killed.ExitCode}: {killed.StdErr}");

            // Whatever the mix of keys the kill left, every file reads as it was (the mtime of the directory the kill
            // interrupted may have changed: its renames were not finished, so its time was not put back).
            Assert.Equal(WithoutDirectoryTimes(expected), WithoutDirectoryTimes(Snapshot(m, copy, $"mixed{seed}")));

            var resumed = Rekey(m, copy, Path.Combine(m.Root, $"rk{seed}-again"));
            Assert.True(resumed.ExitCode == 0, $"seed {seed}: resume exit {resumed.ExitCode}: {resumed.StdErr}");
            Assert.Equal(WithoutDirectoryTimes(expected), WithoutDirectoryTimes(Snapshot(m, copy, $"done{seed}")));
            Assert.False(File.Exists(Path.Combine(copy, RekeyJournal.FileName)));
            var fsck = CliRunner.Run(["fsck", copy, "--passfile", TestVolumes.PassFileOf(m), "--quiet"], timeout: TimeSpan.FromMinutes(2));
            Assert.True(fsck.ExitCode == 0, $"seed {seed}: {fsck.StdErr}");

            // The recovery key from before the rekey opens nothing; the one it printed does.
            Assert.Equal(10, CliRunner.Run(["ls", copy, "--recovery-file", oldRecovery]).ExitCode);
            string newKey = File.Exists(Path.Combine(m.Root, $"rk{seed}")) ? Path.Combine(m.Root, $"rk{seed}") : Path.Combine(m.Root, $"rk{seed}-again");
            Assert.Equal(0, CliRunner.Run(["ls", copy, "--recovery-file", newKey]).ExitCode);
        }
    }

    [Fact]
    public void A_volume_with_an_unfinished_rekey_mounts_read_only_and_reads_every_file()
    {
        using var m = VolumeWithEverything();
        var expected = OfflineRestoreTests.SnapshotThroughFreshMount(m);
        var killed = Rekey(m, m.Backing, Path.Combine(m.Root, "rk"), 12);
        Assert.Equal(137, killed.ExitCode);
        m.MountAgain();
        Assert.Equal(WithoutDirectoryTimes(expected), WithoutDirectoryTimes(BackupSnapshot.Take(m.MountPoint)));
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(m.P("new-file"), "refused while the rekey is open"));
        m.Unmount();
        Assert.Equal(0, Rekey(m, m.Backing, Path.Combine(m.Root, "rk2")).ExitCode);
        m.MountAgain();
        File.WriteAllText(m.P("new-file"), "writable again");
        Assert.Equal("hello\n", File.ReadAllText(m.P("docs/hello.txt")));
    }

    /// <summary>The snapshot with every directory's mtime left out (directories are the entries whose line starts "d ").</summary>
    private static List<string> WithoutDirectoryTimes(List<string> snapshot)
    {
        var directories = snapshot.Where(l => l.StartsWith("d ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToHashSet();
        return snapshot.Select(l => l.StartsWith("owner ", StringComparison.Ordinal) && directories.Contains(l.Split(' ')[1]) && l.Contains(" mtime=")
            ? l[..l.IndexOf(" mtime=", StringComparison.Ordinal)] : l).ToList();
    }

    private static List<string> Snapshot(TestMount m, string cipher, string name)
    {
        string dest = Path.Combine(m.Root, name);
        var r = Decrypt(m, cipher, dest);
        Assert.True(r.ExitCode == 0, $"decrypt of {cipher}: {r.StdErr}");
        return BackupSnapshot.Take(dest);
    }
}
