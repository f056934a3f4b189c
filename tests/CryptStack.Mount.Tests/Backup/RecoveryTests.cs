using CryptStack.Mount.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;
using CryptStack.Volume;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>
/// The recovery key and the ciphertext tree alone get the data back after `rm cryptstack.conf*`: decrypt, ls and
/// cat take --recovery-file directly, `recover --rebuild-config` writes a new config, and a config backup
/// restores one; cs.recovery follows every keyslot change.
/// </summary>
public sealed class RecoveryTests
{
    private static string Init(TestMount m, out string recoveryFile)
    {
        File.WriteAllText(TestVolumes.PassFileOf(m), TestVolumes.Passphrase + "\n");
        var r = CliRunner.Run(["init", m.Backing, "--print-recovery-key", "--passfile", TestVolumes.PassFileOf(m), "--kdf-memory", "64", "--kdf-iterations", "1"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        string key = System.Text.RegularExpressions.Regex.Match(r.StdOut, "[0-9A-Z]{5}(-[0-9A-Z]{5}){12}").Value;
        recoveryFile = Path.Combine(m.Root, "recovery.txt");
        File.WriteAllText(recoveryFile, key + "\n");
        return key;
    }

    private static TestMount MountWithRecoveryKey(out string recoveryFile)
    {
        string? file = null;
        var m = TestMount.Start(t => ["mount", t.Backing, t.MountPoint, "--passfile", TestVolumes.PassFileOf(t)], prepare: t => Init(t, out file));
        recoveryFile = file!;
        return m;
    }

    [Fact]
    public void With_the_config_and_its_backup_deleted_the_recovery_key_restores_and_rebuilds_the_config()
    {
        using var m = MountWithRecoveryKey(out string recoveryFile);
        OfflineRestoreTests.WriteEverything(m);
        var expected = OfflineRestoreTests.SnapshotThroughFreshMount(m);
        Assert.True(File.Exists(m.B("cs.recovery")), "a new volume has its recovery record");
        File.Delete(m.B("cryptstack.conf"));
        File.Delete(m.B("cryptstack.conf.bak"));

        var refused = CliRunner.Run(["decrypt", m.Backing, Path.Combine(m.Root, "no"), "--passfile", TestVolumes.PassFileOf(m)]);
        Assert.Equal(11, refused.ExitCode);

        string dest = Path.Combine(m.Root, "out");
        var r = CliRunner.Run(["decrypt", m.Backing, dest, "--recovery-file", recoveryFile, "--quiet"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("opened with cs.recovery", r.StdErr);
        var restored = BackupSnapshot.Take(dest);
        Assert.True(expected.SequenceEqual(restored), TreeSnapshot.Diff(expected, restored));
        Assert.Equal("hello\n", CliRunner.Run(["cat", m.Backing, "docs/hello.txt", "--recovery-file", recoveryFile]).StdOut);

        string fresh = Path.Combine(m.Root, "new-pass");
        File.WriteAllText(fresh, "a new passphrase\n");
        var rebuild = CliRunner.Run(["recover", "--rebuild-config", "--recovery-file", recoveryFile, "--passfile", fresh, "--kdf-memory", "64", "--kdf-iterations", "1", m.Backing]);
        Assert.True(rebuild.ExitCode == 0, rebuild.StdErr);
        Assert.True(File.Exists(m.B("cryptstack.conf")) && File.Exists(m.B("cryptstack.conf.bak")));
        Assert.Equal(0, CliRunner.Run(["key", "test", m.Backing, "--passfile", fresh]).ExitCode);
        Assert.Equal(0, CliRunner.Run(["key", "test", m.Backing, "--recovery-key", "--passfile", recoveryFile]).ExitCode);
        Assert.Equal(10, CliRunner.Run(["key", "test", m.Backing, "--passfile", TestVolumes.PassFileOf(m)]).ExitCode);

        // The rebuilt config mounts and shows the same tree.
        string mnt = Path.Combine(m.Root, "mnt2");
        Directory.CreateDirectory(mnt);
        var mount = CliRunner.Run(["mount", m.Backing, mnt, "--passfile", fresh]);
        Assert.True(mount.ExitCode == 0, mount.StdErr);
        try { Assert.True(expected.SequenceEqual(BackupSnapshot.Take(mnt)), "the rebuilt volume shows another tree"); }
        finally { Shell.Run("fusermount3", "-u", mnt); }

        var again = CliRunner.Run(["recover", "--rebuild-config", "--recovery-file", recoveryFile, "--passfile", fresh, m.Backing]);
        Assert.Equal(18, again.ExitCode);
        Assert.Contains("is intact", again.StdErr);
    }

    [Fact]
    public void A_damaged_config_is_moved_aside_not_deleted_by_the_rebuild()
    {
        string root = TestMount.NewScratchDirectory();
        try
        {
            string cipher = Path.Combine(root, "c");
            Directory.CreateDirectory(cipher);
            using (var pass = VolumeSecret.Passphrase("pw"u8))
            {
                var created = CryptVolume.Create(cipher, pass, TestVolumes.CheapKdf);
                created.Volume.Dispose();
                File.WriteAllText(Path.Combine(root, "key"), created.RecoveryKey + "\n");
            }
            File.WriteAllText(Path.Combine(cipher, "cryptstack.conf"), "{ damaged");
            File.WriteAllText(Path.Combine(cipher, "cryptstack.conf.bak"), "{ also damaged");
            File.WriteAllText(Path.Combine(root, "new"), "new pass\n");
            var r = CliRunner.Run(["recover", "--rebuild-config", "--recovery-file", Path.Combine(root, "key"), "--passfile", Path.Combine(root, "new"),
                "--kdf-memory", "64", "--kdf-iterations", "1", cipher]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal("{ damaged", File.ReadAllText(Path.Combine(cipher, "cryptstack.conf.damaged")));
            Assert.Equal("{ also damaged", File.ReadAllText(Path.Combine(cipher, "cryptstack.conf.bak.damaged")));
            Assert.Equal(0, CliRunner.Run(["key", "test", cipher, "--passfile", Path.Combine(root, "new")]).ExitCode);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void The_recovery_record_follows_keyslot_changes_and_goes_with_the_last_recovery_slot()
    {
        string root = TestMount.NewScratchDirectory();
        try
        {
            string cipher = Path.Combine(root, "c");
            Directory.CreateDirectory(cipher);
            using var pass = VolumeSecret.Passphrase("pw"u8);
            var created = CryptVolume.Create(cipher, pass, TestVolumes.CheapKdf);
            using var volume = created.Volume;
            string record = RecoveryRecord.PathFor(cipher);
            Assert.Single(RecoveryRecord.Read(cipher).Keyslots);

            var (second, secondKey) = volume.AddRecoverySlot();
            Assert.Equal([1, second], RecoveryRecord.Read(cipher).Keyslots.Select(s => s.Id));
            volume.RemoveSlot(1);
            Assert.Equal([second], RecoveryRecord.Read(cipher).Keyslots.Select(s => s.Id));
            using (var key = VolumeSecret.Recovery(secondKey))
            using (var opened = VolumeRecovery.OpenRecord(cipher, key))
                Assert.Equal(volume.Keys.MasterKey.ToArray(), opened.Keys.MasterKey.ToArray());
            volume.RemoveSlot(second);
            Assert.False(File.Exists(record), "no recovery slot, no recovery record");
            var (_, lastKey) = volume.AddRecoverySlot();
            Assert.True(File.Exists(record));

            // A change to any field is detected under the master key, like the config's.
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!;
            json["createdUtc"] = "2000-01-01T00:00:00Z";
            File.WriteAllText(record, json.ToJsonString());
            using var recovery = VolumeSecret.Recovery(lastKey);
            var e = Assert.Throws<VolumeException>(() => VolumeRecovery.OpenRecord(cipher, recovery));
            Assert.Equal(VolumeErrorKind.CorruptConfig, e.Kind);
            Assert.Contains("authentication failed", e.Message);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
