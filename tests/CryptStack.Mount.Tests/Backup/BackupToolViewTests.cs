using System.Security.Cryptography;
using CryptStack.Mount.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>
/// What a backup tool (rsync, restic, tar) sees of the ciphertext, as docs/backup.md promises: a small change
/// rewrites only the blocks it touches; names do not change between mounts; a copy taken while the volume is
/// mounted and idle restores exactly; a read-only copy restores too.
/// </summary>
public sealed class BackupToolViewTests
{
    private const int HeaderSize = 84, CipherBlock = 4132, PlainBlock = 4096;

    private static List<(long Offset, byte[] Hash)> BlockHashes(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        var hashes = new List<(long, byte[])> { (0, SHA256.HashData(all.AsSpan(0, HeaderSize))) };
        for (long at = HeaderSize; at < all.Length; at += CipherBlock)
            hashes.Add((at, SHA256.HashData(all.AsSpan((int)at, (int)Math.Min(CipherBlock, all.Length - at)))));
        return hashes;
    }

    [Fact]
    public void One_byte_changed_inside_a_large_file_rewrites_only_the_block_it_touches()
    {
        using var m = TestVolumes.Mount();
        var content = new byte[16 << 20];
        new Random(3).NextBytes(content);
        File.WriteAllBytes(m.P("large.bin"), content);
        string cipher = OfflineRestoreTests.CipherPathOf(m, "large.bin");
        var before = BlockHashes(cipher);

        const long changed = 5L * 1024 * 1024 + 1234;
        int fd = LibC.OpenOk(m.P("large.bin"), LibC.O_RDWR);
        try
        {
            LibC.Check(LibC.PWrite(fd, [(byte)~content[changed]], changed), "pwrite");
            LibC.Check(LibC.FSync(fd), "fsync");
        }
        finally { LibC.Close(fd); }
        var after = BlockHashes(cipher);

        Assert.Equal(before.Count, after.Count);
        var differing = before.Zip(after).Where(p => !p.First.Hash.SequenceEqual(p.Second.Hash)).Select(p => p.First.Offset).ToList();
        long block = changed / PlainBlock;
        Assert.Equal([HeaderSize + block * CipherBlock], differing);
    }

    [Fact]
    public void Names_are_the_same_in_every_mount_and_for_the_same_name_created_again()
    {
        using var m = TestVolumes.Mount();
        OfflineRestoreTests.WriteEverything(m);
        var first = BackingNames(m.Backing);
        m.Unmount();
        m.MountAgain();
        Assert.Equal(first, BackingNames(m.Backing));
        File.Delete(m.P("docs/hello-hardlink.txt"));
        File.WriteAllText(m.P("docs/hello-hardlink.txt"), "again");
        Assert.Equal(first, BackingNames(m.Backing));
    }

    private static List<string> BackingNames(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void A_tar_of_the_ciphertext_taken_while_mounted_and_idle_restores_exactly()
    {
        using var m = TestVolumes.Mount();
        OfflineRestoreTests.WriteEverything(m);
        m.Unmount();
        m.MountAgain();
        var expected = BackupSnapshot.Take(m.MountPoint);
        Shell.Run("sync");

        string tarball = Path.Combine(m.Root, "live.tar"), copy = Path.Combine(m.Root, "copy");
        Directory.CreateDirectory(copy);
        Assert.Equal(0, Shell.Run("tar", "--xattrs", "-cSpf", tarball, "-C", m.Backing, ".").ExitCode);
        Assert.True(m.IsMounted);
        Assert.Equal(0, Shell.Run("tar", "--xattrs", "-xSpf", tarball, "-C", copy).ExitCode);

        string dest = Path.Combine(m.Root, "restored");
        var r = CliRunner.Run(["decrypt", copy, dest, "--passfile", TestVolumes.PassFileOf(m), "--quiet"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var restored = BackupSnapshot.Take(dest);
        expected = BackupSnapshot.WithoutSockets(expected, "docs/sock");
        Assert.True(expected.SequenceEqual(restored), TreeSnapshot.Diff(expected, restored));
    }

    [RootFact("bind-mounts the ciphertext read-only")]
    public void A_read_only_copy_of_the_ciphertext_decrypts_and_mounts_read_only()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("a.txt"), "readable from read-only media");
        m.Unmount();
        string ro = Path.Combine(m.Root, "ro");
        Directory.CreateDirectory(ro);
        Assert.Equal(0, Shell.Run("mount", "--bind", m.Backing, ro).ExitCode);
        string mnt = Path.Combine(m.Root, "ro-mnt");
        try
        {
            Assert.Equal(0, Shell.Run("mount", "-o", "remount,bind,ro", ro).ExitCode);
            string dest = Path.Combine(m.Root, "out");
            var r = CliRunner.Run(["decrypt", ro, dest, "--passfile", TestVolumes.PassFileOf(m), "--quiet"]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal("readable from read-only media", File.ReadAllText(Path.Combine(dest, "a.txt")));

            Directory.CreateDirectory(mnt);
            var mount = CliRunner.Run(["mount", ro, mnt, "--passfile", TestVolumes.PassFileOf(m), "-o", "ro"]);
            Assert.True(mount.ExitCode == 0, mount.StdErr);
            Assert.Equal("readable from read-only media", File.ReadAllText(Path.Combine(mnt, "a.txt")));
        }
        finally
        {
            if (File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == mnt)) Shell.Run("fusermount3", "-u", "-z", mnt);
            // The daemon lets go of the backing directory just after the unmount.
            for (int i = 0; i < 100 && Shell.Run("umount", ro).ExitCode != 0; i++) Thread.Sleep(100);
            if (File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == ro)) Shell.Run("umount", "-l", ro);
        }
    }
}
