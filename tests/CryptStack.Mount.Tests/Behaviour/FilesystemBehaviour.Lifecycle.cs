using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// Mount lifetime and mount options: each test makes (and ends) its own mount.
public abstract partial class FilesystemBehaviour
{
    // SIGTERM lets open files finish for up to 10 s (docs/cli.md, Stopping), then aborts at once.
    private static readonly TimeSpan DaemonExit = TimeSpan.FromSeconds(20);

    private static void AssertGoneCleanly(TestMount m)
    {
        Assert.True(m.WaitForDaemonExit(DaemonExit), "the daemon is still running");
        Assert.False(m.IsMounted, "the mount is still in /proc/mounts");
        // A stale FUSE mount answers ENOTCONN; an absent one shows the empty mount point.
        Assert.Empty(Directory.EnumerateFileSystemEntries(m.MountPoint));
    }

    [Fact]
    public void Unmount_command_ends_the_daemon()
    {
        using var m = CreateMount();
        WriteAll(m.P("f"), "x"u8);
        Harness.Cli.RunOk("unmount", m.MountPoint);
        AssertGoneCleanly(m);
    }

    [Fact]
    public void Unmount_with_a_file_open_is_refused_then_lazy_unmount_ends_daemon_when_it_closes()
    {
        using var m = CreateMount();
        int fd = LibC.OpenOk(m.P("open"), LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, "still here"u8, 0);
            var busy = Harness.Cli.Run(["unmount", m.MountPoint]);
            Assert.NotEqual(0, busy.ExitCode);
            Assert.True(m.IsMounted, "a refused unmount must leave the mount in place");
            Assert.Equal("still here", File.ReadAllText(m.P("open")));

            Harness.Cli.RunOk("unmount", "-z", m.MountPoint);
            Assert.False(m.IsMounted, "lazy unmount detaches at once");
            // The open file keeps being served until it is closed.
            Assert.Equal("still here"u8.ToArray(), LibC.PReadAll(fd, 0, 100));
            LibC.PWriteAll(fd, " and more"u8, 10);
        }
        finally { LibC.Close(fd); }
        AssertGoneCleanly(m);
    }

    [Fact]
    public void Lazy_fusermount_unmount_with_a_file_open_ends_daemon_after_close()
    {
        using var m = CreateMount();
        int fd = LibC.OpenOk(m.P("open"), LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            var r = Shell.Run("fusermount3", "-u", "-z", m.MountPoint);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.False(m.IsMounted);
            LibC.PWriteAll(fd, "x"u8, 0);
        }
        finally { LibC.Close(fd); }
        AssertGoneCleanly(m);
    }

    [Fact]
    public void External_fusermount_unmount_ends_the_daemon()
    {
        using var m = CreateMount();
        WriteAll(m.P("f"), "x"u8);
        var r = Shell.Run("fusermount3", "-u", m.MountPoint);
        Assert.True(r.ExitCode == 0, r.ToString());
        AssertGoneCleanly(m);
    }

    [Fact]
    public void Sigterm_ends_the_daemon_and_unmounts()
    {
        using var m = CreateMount();
        WriteAll(m.P("f"), "x"u8);
        LibC.Check(LibC.Kill(m.DaemonPid, LibC.SIGTERM), "kill");
        AssertGoneCleanly(m);
    }

    [Fact]
    public void Sigterm_with_a_file_open_ends_the_daemon_and_unmounts()
    {
        using var m = CreateMount();
        int fd = LibC.OpenOk(m.P("open"), LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, "data"u8, 0);
            LibC.Check(LibC.Kill(m.DaemonPid, LibC.SIGTERM), "kill");
            Assert.True(m.WaitForDaemonExit(DaemonExit), "the daemon did not end while a file was open");
            Assert.False(m.IsMounted);
            // The descriptor outlives the daemon; using it may fail but must not hang.
            var use = Task.Run(() => LibC.PRead(fd, new byte[4], 0));
            Assert.True(use.Wait(TimeSpan.FromSeconds(10)), "read on a file of an ended mount hangs");
        }
        finally { LibC.Close(fd); }
        AssertGoneCleanly(m);
    }

    [Fact]
    public void Read_only_mount_refuses_writes_with_EROFS()
    {
        using var m = CreateMount("-o", "ro");
        string root = m.MountPoint;
        Assert.True(Directory.Exists(root));
        AssertErrno(LibC.EROFS, LibC.Open(m.P("f"), LibC.O_WRONLY | LibC.O_CREAT, 0x1a4), "create");
        AssertErrno(LibC.EROFS, LibC.MkDir(m.P("d"), 0x1ed), "mkdir");
        AssertErrno(LibC.EROFS, LibC.Symlink("x", m.P("l")), "symlink");
        AssertErrno(LibC.EROFS, LibC.MkFifo(m.P("p"), 0x1a4), "mkfifo");
        AssertErrno(LibC.EROFS, LibC.Chmod(root, 0x1ff), "chmod");
        AssertErrno(LibC.EROFS, LibC.UtimensNow(root), "utimens");
        AssertErrno(LibC.EROFS, LibC.SetXAttr(root, "user.k", "v"u8), "setxattr");
        LibC.Check(LibC.StatVfs_(root, out var vfs), "statvfs");
        Assert.Equal(LibC.ST_RDONLY, vfs.Flags & LibC.ST_RDONLY);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    // ---- other users ------------------------------------------------------------------------

    [RootFact("mounts with allow_other and becomes nobody")]
    public void Other_users_get_kernel_permission_checks_and_own_what_they_create()
    {
        using var m = CreateMount("-o", "allow_other");
        string secret = m.P("secret"), shared = m.P("shared"), open = m.P("open");
        WriteAll(secret, "root only"u8, 0x180);
        LibC.Check(LibC.Chmod(secret, 0x180), "chmod 0600");
        LibC.Check(LibC.MkDir(shared, 0x1ff), "mkdir");
        LibC.Check(LibC.Chmod(shared, 0x1ff), "chmod 0777");
        WriteAll(open, "readable"u8);
        LibC.Check(LibC.Chmod(open, 0x1a4), "chmod 0644");

        var read = Shell.AsNobody($"cat {Shell.Quote(secret)}");
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("Permission denied", read.StdErr);
        var write = Shell.AsNobody($"echo x >> {Shell.Quote(open)}");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Permission denied", write.StdErr);
        var readOpen = Shell.AsNobody($"cat {Shell.Quote(open)}");
        Assert.True(readOpen.ExitCode == 0, readOpen.ToString());
        Assert.Equal("readable", readOpen.StdOut);
        var rootDir = Shell.AsNobody($"touch {Shell.Quote(m.P("in-root"))}");
        Assert.NotEqual(0, rootDir.ExitCode); // the mount root is 0755 root

        string mine = Path.Combine(shared, "mine"), myDir = Path.Combine(shared, "mydir"), myLink = Path.Combine(shared, "mylink");
        var create = Shell.AsNobody($"echo hello > {Shell.Quote(mine)} && mkdir {Shell.Quote(myDir)} && ln -s mine {Shell.Quote(myLink)} && chmod 600 {Shell.Quote(mine)}");
        Assert.True(create.ExitCode == 0, create.ToString());
        foreach (string p in new[] { mine, myDir, myLink })
        {
            var st = LibC.LStatOf(p);
            Assert.Equal((65534u, 65534u), (st.Uid, st.Gid));
        }
        Assert.Equal(0x180u, LibC.StatOf(mine).Permissions);
        Assert.Equal("hello\n", File.ReadAllText(mine));
        var chownOther = Shell.AsNobody($"chown 0 {Shell.Quote(mine)}");
        Assert.NotEqual(0, chownOther.ExitCode);
        var removeSecret = Shell.AsNobody($"rm -f {Shell.Quote(secret)}");
        Assert.NotEqual(0, removeSecret.ExitCode);
        Assert.True(File.Exists(secret));
    }

    [RootFact("mounts with allow_other and becomes nobody")]
    public void A_write_or_truncate_by_another_user_clears_setuid_and_setgid()
    {
        using var m = CreateMount("-o", "allow_other");
        // The daemon writes as root, which keeps the bits on the backing file (CAP_FSETID): it is the
        // kernel's request through the mount that must clear them, as ext4 does for the writer.
        string written = m.P("written"), truncated = m.P("truncated");
        foreach (string p in new[] { written, truncated })
        {
            WriteAll(p, "setuid program"u8);
            LibC.Check(LibC.Chmod(p, 0xdff /* 06777 */), "chmod 06777");
        }
        var write = Shell.AsNobody($"echo x >> {Shell.Quote(written)} && truncate -s 3 {Shell.Quote(truncated)}");
        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.Equal(0x1ffu, LibC.StatOf(written).Permissions);
        Assert.Equal(0x1ffu, LibC.StatOf(truncated).Permissions);
        Assert.Equal(3, LibC.StatOf(truncated).Size);
    }

    [RootFact("becomes nobody")]
    public void Without_allow_other_other_users_cannot_enter_the_mount()
    {
        using var m = CreateMount();
        LibC.Check(LibC.Chmod(m.MountPoint, 0x1ff), "chmod root 0777");
        WriteAll(m.P("f"), "x"u8);
        LibC.Check(LibC.Chmod(m.P("f"), 0x1b6), "chmod 0666");
        var r = Shell.AsNobody($"cat {Shell.Quote(m.P("f"))}");
        Assert.NotEqual(0, r.ExitCode);
    }
}
