using System.Diagnostics;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Issue #14, a full disk: the backing directory on a 3 MiB tmpfs. A write that does not fit fails with
/// ENOSPC (never EIO), what was there before stays intact (contents, long names, xattrs, across a
/// remount), a directory, long name or xattr that does not fit fails with ENOSPC and leaves nothing
/// half made, and once space is freed everything works again.
/// </summary>
public sealed class FullDiskTests
{
    public static TheoryData<string> Kinds => new() { "encrypted", "mirror" };

    [RootTheory("mounts a size-limited tmpfs as the backing directory")]
    [MemberData(nameof(Kinds))]
    public void A_full_backing_disk_gives_ENOSPC_loses_nothing_and_recovers(string kind)
    {
        string root = TestMount.NewScratchDirectory();
        string backing = Path.Combine(root, "small");
        Directory.CreateDirectory(backing);
        Sh($"mount -t tmpfs -o size=3m,mode=0755 cryptstack-full {backing}");
        TestMount? m = null;
        try
        {
            if (kind == "encrypted")
            {
                string pass = Path.Combine(root, "pass");
                File.WriteAllText(pass, TestVolumes.Passphrase + "\n");
                using (var v = Volume.CryptVolume.Create(backing, Volume.VolumeSecret.Passphrase(System.Text.Encoding.UTF8.GetBytes(TestVolumes.Passphrase)), TestVolumes.CheapKdf).Volume) { }
                m = TestMount.Start(t => ["mount", backing, t.MountPoint, "--passfile", pass]);
            }
            else m = TestMount.Start(t => ["mirror", backing, t.MountPoint]);

            var keep = new byte[20_000];
            new Random(1).NextBytes(keep);
            string longName = new string('k', 200);
            Write(m.P("keep"), keep);
            Write(m.P(longName), keep.AsSpan(0, 5000));
            LibC.Check(LibC.SetXAttr(m.P("keep"), "user.kept", "value"u8), "setxattr before the disk is full");

            // Fill the disk through the mount: the failing write says ENOSPC.
            int fd = LibC.OpenOk(m.P("filler"), LibC.O_WRONLY | LibC.O_CREAT);
            var chunk = new byte[32 * 1024];
            new Random(2).NextBytes(chunk);
            int errno = 0;
            try
            {
                for (int i = 0; i < 1000 && errno == 0; i++)
                    errno = LibC.ErrnoOf(LibC.Write(fd, chunk));
            }
            finally { LibC.Close(fd); }
            Assert.True(errno == LibC.ENOSPC, $"filling the disk ended with {LibC.Name(errno)}, not ENOSPC");

            // Nothing that needs space may fail with anything but ENOSPC, nor leave a half-made entry.
            AssertFitsOrENOSPC(LibC.MkDir(m.P("newdir"), 0x1ed), "mkdir", () => Directory.Exists(m.P("newdir")));
            string newLong = new string('n', 220);
            int create = LibC.Open(m.P(newLong), LibC.O_WRONLY | LibC.O_CREAT, 0x1a4);
            if (create >= 0) LibC.Close(create);
            AssertFitsOrENOSPC(create, "create of a long name", () => File.Exists(m.P(newLong)));
            AssertFitsOrENOSPC(LibC.SetXAttr(m.P("keep"), "user.big", new byte[3000]), "setxattr",
                () => LibC.GetXAttr(m.P("keep"), "user.big") != null);
            Assert.Equal(keep, File.ReadAllBytes(m.P("keep")));
            Assert.Equal(keep.AsSpan(0, 5000).ToArray(), File.ReadAllBytes(m.P(longName)));

            // Free the space: writing works again.
            LibC.Check(LibC.Unlink(m.P("filler")), "unlink filler");
            // The kernel tells the daemon to forget the unlinked node (and so close its descriptor, which
            // holds the blocks) a moment after the unlink returns, as it would release them on ext4.
            var freed = Stopwatch.StartNew();
            while (FreeBytes(backing) < 1 << 20 && freed.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
            Assert.True(FreeBytes(backing) >= 1 << 20, $"space not freed 10 s after the unlink ({FreeBytes(backing)} bytes free)");
            Write(m.P("after"), chunk);
            Assert.Equal(chunk, File.ReadAllBytes(m.P("after")));
            LibC.Check(LibC.MkDir(m.P("dir-after"), 0x1ed), "mkdir after freeing");
            Write(m.P(new string('a', 230)), "long name after freeing"u8);
            LibC.Check(LibC.SetXAttr(m.P("after"), "user.after", "x"u8), "setxattr after freeing");

            // And all of it survives a remount, read from the backing files.
            m.Unmount();
            m.MountAgain();
            Assert.Equal(keep, File.ReadAllBytes(m.P("keep")));
            Assert.Equal(keep.AsSpan(0, 5000).ToArray(), File.ReadAllBytes(m.P(longName)));
            Assert.Equal("value"u8.ToArray(), LibC.GetXAttr(m.P("keep"), "user.kept"));
            Assert.Equal(chunk, File.ReadAllBytes(m.P("after")));
            Assert.False(File.Exists(m.P("filler")));
        }
        finally
        {
            m?.Dispose();
            Sh($"umount {backing} || umount -l {backing}");
            Directory.Delete(root, recursive: true);
        }
    }

    private static void AssertFitsOrENOSPC(long rc, string what, Func<bool> exists)
    {
        int errno = LibC.ErrnoOf(rc);
        Assert.True(errno == 0 || errno == LibC.ENOSPC, $"{what} on a full disk: {LibC.Name(errno)}, expected success or ENOSPC");
        Assert.True(exists() == (errno == 0), $"{what}: {(errno == 0 ? "succeeded but is not there" : "failed but left an entry")}");
    }

    private static long FreeBytes(string path)
    {
        LibC.Check(LibC.StatVfs_(path, out var st), "statvfs");
        return (long)(st.BlocksAvailable * st.FragmentSize);
    }

    private static void Write(string path, ReadOnlySpan<byte> data)
    {
        int fd = LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC);
        try { LibC.PWriteAll(fd, data, 0); }
        finally { LibC.Close(fd); }
    }

    private static void Sh(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command}: {err}");
    }
}
