using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Mirror-only checks that look at the backing directory as well: what lands there, and that
/// nothing in it can lead the daemon outside it.
/// </summary>
public sealed class MirrorBackingTests
{
    [Fact]
    public void Open_with_O_TRUNC_truncates_the_backing_file()
    {
        using var m = TestMount.Mirror();
        File.WriteAllText(m.P("f"), "long content");
        int fd = LibC.OpenOk(m.P("f"), LibC.O_WRONLY | LibC.O_TRUNC);
        LibC.Close(fd);
        Assert.Equal(0, new FileInfo(m.B("f")).Length);
    }

    [Fact]
    public void Unlinked_open_file_is_hidden_from_listings_and_gone_from_backing_after_close()
    {
        using var m = TestMount.Mirror();
        Directory.CreateDirectory(m.P("d"));
        int fd = LibC.OpenOk(m.P("d/f"), LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.Check(LibC.Unlink(m.P("d/f")), "unlink");
            Assert.Empty(Directory.EnumerateFileSystemEntries(m.P("d")));
            Assert.Equal(0ul, LibC.FStatOf(fd).NLink);
        }
        finally { LibC.Close(fd); }
        // The daemon unlinks the hidden name after the last close, asynchronously to close(2).
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Directory.EnumerateFileSystemEntries(m.B("d")).Any() && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Empty(Directory.EnumerateFileSystemEntries(m.B("d")));
        LibC.Check(LibC.RmDir(m.P("d")), "rmdir after the file closed");
    }

    [Fact]
    public void Directory_swapped_for_a_symlink_in_backing_does_not_lead_outside_it()
    {
        using var m = TestMount.Mirror("-o", "attr_timeout=30,entry_timeout=30");
        Directory.CreateDirectory(m.P("d"));
        File.WriteAllText(m.P("d/inside"), "x");
        Assert.True(File.Exists(m.P("d/inside"))); // the kernel now caches d as a directory
        string outside = TestMount.NewScratchDirectory();
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret"), "outside the backing directory");
            Directory.Delete(m.B("d"), recursive: true);
            File.CreateSymbolicLink(m.B("d"), outside);
            // The kernel still believes d is a directory and asks the daemon for /d/secret.
            int rc = LibC.Open(m.P("d/secret"), LibC.O_RDONLY);
            if (rc >= 0) LibC.Close(rc);
            Assert.True(rc < 0, "a symlink planted in the backing directory led the daemon outside it");
            // ELOOP when the name is opened afresh (O_NOFOLLOW refuses the symlink), ENOENT when the
            // daemon still holds the deleted directory it had open: either way, not outside.
            Assert.Contains(LibC.Errno, new[] { LibC.ELOOP, LibC.ENOENT });
            int wrc = LibC.Open(m.P("d/planted"), LibC.O_WRONLY | LibC.O_CREAT, 0x1a4);
            if (wrc >= 0) LibC.Close(wrc);
            Assert.False(File.Exists(Path.Combine(outside, "planted")));
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public void Read_only_mirror_refuses_to_change_existing_files()
    {
        using var m = TestMount.Start(t => ["mirror", t.Backing, t.MountPoint, "-o", "ro"],
            prepare: t => File.WriteAllText(t.B("existing"), "keep me"));
        Assert.Equal("keep me", File.ReadAllText(m.P("existing")));
        Assert.Equal(LibC.EROFS, LibC.ErrnoOf(LibC.Open(m.P("existing"), LibC.O_WRONLY)));
        Assert.Equal(LibC.EROFS, LibC.ErrnoOf(LibC.Truncate(m.P("existing"), 0)));
        Assert.Equal(LibC.EROFS, LibC.ErrnoOf(LibC.Unlink(m.P("existing"))));
        Assert.Equal(LibC.EROFS, LibC.ErrnoOf(LibC.Rename(m.P("existing"), m.P("moved"))));
        Assert.Equal(LibC.EROFS, LibC.ErrnoOf(LibC.Chmod(m.P("existing"), 0x1ff)));
        Assert.Equal("keep me", File.ReadAllText(m.B("existing")));
    }
}
