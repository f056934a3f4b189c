using System.Text;
using CryptStack.Mount.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>
/// `cryptstack decrypt` restores, without FUSE, from the ciphertext directory or a tar or rsync copy of it, the
/// tree that was written through a real mount: every file type, hard links, holes, xattrs, owners, times, long
/// names and long link targets. Damage is reported by plaintext and ciphertext path and the rest is restored.
/// </summary>
public sealed class OfflineRestoreTests
{
    private static readonly string LongName = new string('n', 200) + ".txt";
    private static readonly string LongTarget = "../" + new string('t', 3500);

    /// <summary>A tree with one of everything, written through the mount <paramref name="m"/>.</summary>
    internal static void WriteEverything(TestMount m)
    {
        string script = $"""
            set -e
            cd {Shell.Quote(m.MountPoint)}
            mkdir -p docs/deep/er empty
            printf 'hello\n' > docs/hello.txt
            head -c 200000 /dev/urandom > docs/random.bin
            ln docs/hello.txt docs/hello-hardlink.txt
            ln docs/hello.txt hello-elsewhere.txt
            ln -s hello.txt docs/link
            ln -s {Shell.Quote(LongTarget)} long-target-link
            printf 'long\n' > {Shell.Quote(LongName)}
            mkdir {Shell.Quote(new string('d', 150))}
            printf 'inside\n' > {Shell.Quote(new string('d', 150))}/x
            truncate -s 8M docs/sparse.img
            printf 'end' | dd of=docs/sparse.img bs=1 seek=$((8*1024*1024)) conv=notrunc status=none
            printf 'middle' | dd of=docs/sparse.img bs=1 seek=$((3*1024*1024)) conv=notrunc status=none
            mkfifo docs/fifo
            mknod docs/null c 1 3
            python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('docs/sock')"
            setfattr -n user.comment -v 'a comment' docs/hello.txt
            setfattr -n user.dir -v 'on a directory' docs/deep
            chmod 4755 docs/random.bin
            chmod 0555 docs/deep/er
            chmod 1777 empty
            chown 1234:5678 docs/hello.txt docs/fifo
            chown -h 4321:8765 docs/link
            touch -h -d '2001-02-03 04:05:06.123456789' docs/link
            touch -d '2002-03-04 05:06:07.5' docs/random.bin docs/null
            touch -d '2003-04-05 06:07:08' docs/deep/er docs/deep empty
            """;
        var r = Shell.Run("sh", "-c", script);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    private static CliRunner.Result Decrypt(TestMount m, string cipherDir, string dest, params string[] extra) =>
        CliRunner.Run(["decrypt", cipherDir, dest, "--passfile", TestVolumes.PassFileOf(m), "--quiet", .. extra]);

    /// <summary>
    /// The tree as a new mount shows it, then unmounted: attributes the kernel cached while the tree was being
    /// written (attr_timeout) play no part in what a restore is compared with.
    /// </summary>
    internal static List<string> SnapshotThroughFreshMount(TestMount m)
    {
        m.Unmount();
        m.MountAgain();
        var snapshot = BackupSnapshot.Take(m.MountPoint);
        m.Unmount();
        return snapshot;
    }

    private static void AssertSame(List<string> expected, List<string> actual) =>
        Assert.True(expected.SequenceEqual(actual), "restored tree differs:\n" + TreeSnapshot.Diff(expected, actual));

    [Fact]
    public void Tar_and_rsync_copies_of_the_ciphertext_decrypt_to_the_tree_written_through_the_mount()
    {
        using var m = TestVolumes.Mount();
        WriteEverything(m);
        var expected = SnapshotThroughFreshMount(m);

        string tarCopy = Path.Combine(m.Root, "tar-copy"), rsyncCopy = Path.Combine(m.Root, "rsync-copy");
        Directory.CreateDirectory(tarCopy);
        string tarball = Path.Combine(m.Root, "cipher.tar");
        Assert.Equal(0, Shell.Run("tar", "--xattrs", "-cSpf", tarball, "-C", m.Backing, ".").ExitCode);
        Assert.Equal(0, Shell.Run("tar", "--xattrs", "-xSpf", tarball, "-C", tarCopy).ExitCode);
        var rsync = Shell.Run("rsync", "-aHAXS", "--numeric-ids", m.Backing + "/", rsyncCopy + "/");
        Assert.True(rsync.ExitCode == 0, rsync.ToString());

        foreach (string copy in new[] { m.Backing, tarCopy, rsyncCopy })
        {
            string dest = Path.Combine(m.Root, "restored-" + Path.GetFileName(copy));
            var r = Decrypt(m, copy, dest);
            Assert.True(r.ExitCode == 0, $"decrypt of {copy}: {r.StdErr}{r.StdOut}");
            AssertSame(copy == tarCopy ? BackupSnapshot.WithoutSockets(expected, "docs/sock") : expected, BackupSnapshot.Take(dest));
        }
    }

    [Fact]
    public void Atime_and_mtime_come_back_and_a_directory_keeps_its_times_after_its_contents()
    {
        using var m = TestVolumes.Mount();
        var r = Shell.Run("sh", "-c", $"cd {Shell.Quote(m.MountPoint)} && mkdir d && printf x > d/f && touch -a -d '1999-01-01 00:00:01' d/f && touch -m -d '2000-01-01 00:00:02' d/f && touch -d '1998-01-01 00:00:03' d");
        Assert.True(r.ExitCode == 0, r.ToString());
        var file = LibC.LStatOf(m.P("d/f"));
        var dir = LibC.LStatOf(m.P("d"));
        m.Unmount();

        string dest = Path.Combine(m.Root, "out");
        Assert.Equal(0, Decrypt(m, m.Backing, dest).ExitCode);
        var restoredFile = LibC.LStatOf(Path.Combine(dest, "d/f"));
        var restoredDir = LibC.LStatOf(Path.Combine(dest, "d"));
        Assert.Equal(file.ATime.ToString(), restoredFile.ATime.ToString());
        Assert.Equal(file.MTime.ToString(), restoredFile.MTime.ToString());
        Assert.Equal(dir.MTime.ToString(), restoredDir.MTime.ToString());
        Assert.Equal(dir.ATime.ToString(), restoredDir.ATime.ToString());
    }

    [Fact]
    public void Chosen_paths_are_restored_at_their_paths_with_their_parents_and_nothing_else()
    {
        using var m = TestVolumes.Mount();
        WriteEverything(m);
        var expected = SnapshotThroughFreshMount(m);

        string dest = Path.Combine(m.Root, "out");
        var r = Decrypt(m, m.Backing, dest, "docs/deep", "/" + LongName);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(["docs", LongName], Directory.EnumerateFileSystemEntries(dest).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["deep"], Directory.EnumerateFileSystemEntries(Path.Combine(dest, "docs")).Select(Path.GetFileName));
        var restored = BackupSnapshot.Take(dest);
        // Every line of the restored tree is a line of the original (same path, attributes, content, xattrs).
        Assert.True(restored.All(expected.Contains), TreeSnapshot.Diff(expected.Where(restored.Contains).ToList(), restored));
        Assert.Contains(restored, l => l.StartsWith("d docs/deep/er 555", StringComparison.Ordinal));

        var missing = CliRunner.Run(["decrypt", m.Backing, Path.Combine(m.Root, "out2"), "--passfile", TestVolumes.PassFileOf(m), "no/such/path"]);
        Assert.Equal(25, missing.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(m.Root, "out2")));
    }

    [Fact]
    public void A_non_empty_destination_is_refused_unless_overwrite()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("a.txt"), "from the volume");
        m.Unmount();
        string dest = Path.Combine(m.Root, "out");
        Directory.CreateDirectory(dest);
        File.WriteAllText(Path.Combine(dest, "a.txt"), "old");
        File.WriteAllText(Path.Combine(dest, "other.txt"), "kept");

        var refused = Decrypt(m, m.Backing, dest);
        Assert.Equal(24, refused.ExitCode);
        Assert.Contains("not empty", refused.StdErr);
        Assert.Equal("old", File.ReadAllText(Path.Combine(dest, "a.txt")));

        Assert.Equal(0, Decrypt(m, m.Backing, dest, "--overwrite").ExitCode);
        Assert.Equal("from the volume", File.ReadAllText(Path.Combine(dest, "a.txt")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(dest, "other.txt")));
    }

    /// <summary>The backing entry whose name decrypts to <paramref name="name"/>, found with `cryptstack path`.</summary>
    internal static string CipherPathOf(TestMount m, string name)
    {
        var r = CliRunner.Run(["path", m.Backing, name, "--passfile", TestVolumes.PassFileOf(m)]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return r.StdOut.Split('\n')[0];
    }

    [Fact]
    public void Damaged_file_and_name_are_reported_by_both_paths_the_rest_restored_and_salvage_zeroes_the_bad_block()
    {
        using var m = TestVolumes.Mount();
        var content = new byte[5 * 4096];
        new Random(5).NextBytes(content);
        File.WriteAllBytes(m.P("victim.bin"), content);
        File.WriteAllText(m.P("fine.txt"), "fine");
        File.WriteAllText(m.P("renamed.txt"), "name will not decrypt");
        m.Unmount();

        string victim = CipherPathOf(m, "victim.bin");
        string renamed = CipherPathOf(m, "renamed.txt");
        // Block 2 (bytes 8192..12287): one flipped ciphertext byte.
        using (var fs = new FileStream(victim, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = 84 + 2 * 4132 + 100;
            int b = fs.ReadByte();
            fs.Position--;
            fs.WriteByte((byte)(b ^ 1));
        }
        // A name that is well formed but does not authenticate: one character of the encrypted name changed.
        string bad = Path.Combine(m.Backing, Path.GetFileName(renamed)[..^2] + (Path.GetFileName(renamed)[^2] == 'A' ? "B" : "A") + Path.GetFileName(renamed)[^1]);
        File.Move(renamed, bad);

        string dest = Path.Combine(m.Root, "out");
        var r = Decrypt(m, m.Backing, dest);
        Assert.Equal(23, r.ExitCode);
        Assert.Contains($"/victim.bin: damaged", r.StdErr);
        Assert.Contains(victim, r.StdErr);
        Assert.Contains(bad, r.StdErr);
        Assert.Contains("does not decrypt", r.StdErr);
        Assert.Equal("fine", File.ReadAllText(Path.Combine(dest, "fine.txt")));
        Assert.False(File.Exists(Path.Combine(dest, "victim.bin")), "a damaged file is skipped without --salvage");

        string salvaged = Path.Combine(m.Root, "salvaged");
        r = Decrypt(m, m.Backing, salvaged, "--salvage");
        Assert.Equal(23, r.ExitCode);
        Assert.Contains("bytes 8192..12287 zeroed", r.StdErr);
        byte[] got = File.ReadAllBytes(Path.Combine(salvaged, "victim.bin"));
        byte[] want = (byte[])content.Clone();
        Array.Clear(want, 8192, 4096);
        Assert.Equal(want, got);
    }

    [Fact]
    public void Sample_volume_decrypts_offline_with_each_sample_secret()
    {
        string sample = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "keys-sample"));
        string root = TestMount.NewScratchDirectory();
        try
        {
            string[][] secrets =
            [
                ["--passfile", Path.Combine(sample, "INSECURE-SAMPLE-passphrase.txt")],
                ["--keyfile", Path.Combine(sample, "INSECURE-SAMPLE.key")],
                ["--recovery-file", Path.Combine(sample, "INSECURE-SAMPLE-recovery-key.txt")],
            ];
            int n = 0;
            foreach (string[] secret in secrets)
            {
                string dest = Path.Combine(root, "out" + n++);
                var r = CliRunner.Run(["decrypt", Path.Combine(sample, "volume"), dest, "--quiet", .. secret]);
                Assert.True(r.ExitCode == 0, r.StdErr);
                byte[] file = File.ReadAllBytes(Path.Combine(dest, "INSECURE SAMPLE file.txt"));
                Assert.Equal("6fd98ea748c656705f59280a6718937febe51c4cd4add86dc162874b57a91582",
                    Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)));
                Assert.Equal("INSECURE SAMPLE target", new FileInfo(Path.Combine(dest, "INSECURE SAMPLE link")).LinkTarget);
                string dir = Directory.GetDirectories(dest).Single();
                Assert.StartsWith("INSECURE SAMPLE directory whose name is longer", Path.GetFileName(dir));
                Assert.Equal("../INSECURE SAMPLE link", new FileInfo(Path.Combine(dir, "link to parent")).LinkTarget);
            }
            var cat = CliRunner.Run(["cat", Path.Combine(sample, "volume"), "INSECURE SAMPLE file.txt", .. secrets[0]]);
            Assert.StartsWith("INSECURE SAMPLE file content.\n", cat.StdOut);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Ls_cat_and_path_show_the_volume_without_a_mount()
    {
        using var m = TestVolumes.Mount();
        WriteEverything(m);
        m.Unmount();
        string pass = TestVolumes.PassFileOf(m);

        var ls = CliRunner.Run(["ls", m.Backing, "docs", "--passfile", pass]);
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["deep", "fifo", "hello-hardlink.txt", "hello.txt", "link", "null", "random.bin", "sock", "sparse.img"],
            ls.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var lsl = CliRunner.Run(["ls", "-l", "-R", m.Backing, "--passfile", pass]);
        Assert.Contains(lsl.StdOut.Split('\n'), l => l.StartsWith("-rwsr-xr-x ", StringComparison.Ordinal) && l.EndsWith(" 2002-03-04 05:06 docs/random.bin", StringComparison.Ordinal));
        Assert.Contains(lsl.StdOut.Split('\n'), l => l.StartsWith("lrwxrwxrwx ", StringComparison.Ordinal) && l.Contains(" 4321  8765 ") && l.EndsWith("docs/link -> hello.txt", StringComparison.Ordinal));
        Assert.Contains(lsl.StdOut.Split('\n'), l => l.EndsWith("long-target-link -> " + LongTarget, StringComparison.Ordinal));
        Assert.Contains(lsl.StdOut.Split('\n'), l => l.StartsWith("crw-r--r-- ", StringComparison.Ordinal) && l.Contains(" 1,3 "));

        Assert.Equal("hello\n", CliRunner.Run(["cat", m.Backing, "/docs/hello-hardlink.txt", "--passfile", pass]).StdOut);
        Assert.Equal(2, CliRunner.Run(["cat", m.Backing, "docs", "--passfile", pass]).ExitCode);
        Assert.Equal(25, CliRunner.Run(["cat", m.Backing, "docs/nope", "--passfile", pass]).ExitCode);

        // A long name has a .name sidecar, a long link target a .lnk sidecar, a directory its cs.dirid; and back again.
        var longPath = CliRunner.Run(["path", m.Backing, LongName, "--passfile", pass]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, longPath.Length);
        Assert.True(File.Exists(longPath[0]) && longPath[1] == longPath[0] + ".name" && File.Exists(longPath[1]));
        var link = CliRunner.Run(["path", m.Backing, "long-target-link", "--passfile", pass]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(link[0] + ".lnk", link[1]);
        var dir = CliRunner.Run(["path", m.Backing, "docs/deep", "--passfile", pass, "--needed"]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Path.Combine(dir[0], "cs.dirid"), dir[1]);
        Assert.Contains(Path.Combine(m.Backing, "cryptstack.conf"), dir);
        Assert.Contains(Path.Combine(m.Backing, "cs.dirid"), dir);

        foreach (var (cipher, plain) in new[] { (longPath[0], "/" + LongName), (longPath[1], $"/{LongName}\t(long-name sidecar)"),
                     (link[1], "/long-target-link\t(link-target sidecar)"), (dir[1], "/docs/deep\t(directory id)"),
                     (Path.GetRelativePath(m.Backing, dir[0]), "/docs/deep") })
        {
            var back = CliRunner.Run(["path", "--reverse", m.Backing, cipher, "--passfile", pass]);
            Assert.True(back.ExitCode == 0, back.StdErr);
            Assert.Equal(plain + "\n", back.StdOut);
        }
    }
}
