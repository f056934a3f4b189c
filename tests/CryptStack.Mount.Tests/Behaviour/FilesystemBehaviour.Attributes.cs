using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// Modes, owners, times, extended attributes, statfs.
public abstract partial class FilesystemBehaviour
{
    [Fact]
    public void Chmod_sets_every_mode_bit_on_files_and_directories()
    {
        string d = NewDir();
        string f = Path.Combine(d, "f");
        WriteAll(f, "x"u8);
        foreach (uint mode in new uint[] { 0x0, 0x124, 0x1ff, 0x9ed /* 04755 */, 0x5ed /* 02755 */, 0x3ff /* 01777 */, 0x180 })
        {
            LibC.Check(LibC.Chmod(f, mode), $"chmod {Convert.ToString(mode, 8)}");
            Assert.Equal(mode, LibC.StatOf(f).Permissions);
        }
        string sub = Path.Combine(d, "sub");
        LibC.Check(LibC.MkDir(sub, 0x1ed), "mkdir");
        LibC.Check(LibC.Chmod(sub, 0x3c0 /* 01700 */), "chmod dir");
        Assert.Equal(0x3c0u, LibC.StatOf(sub).Permissions);
        int fd = LibC.OpenOk(f, LibC.O_RDONLY);
        try
        {
            LibC.Check(LibC.FChmod(fd, 0x1a4), "fchmod");
            Assert.Equal(0x1a4u, LibC.FStatOf(fd).Permissions);
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Created_entries_get_the_requested_mode_minus_umask()
    {
        string d = NewDir();
        uint old = LibC.Umask(0x12); // 022
        try
        {
            LibC.Close(LibC.OpenOk(Path.Combine(d, "f"), LibC.O_WRONLY | LibC.O_CREAT, 0x1ff));
            LibC.Check(LibC.MkDir(Path.Combine(d, "d"), 0x1ff), "mkdir");
        }
        finally { LibC.Umask(old); }
        Assert.Equal(0x1edu, LibC.StatOf(Path.Combine(d, "f")).Permissions);
        Assert.Equal(0x1edu, LibC.StatOf(Path.Combine(d, "d")).Permissions);
    }

    /// <summary>
    /// The encryption layer keeps 64 encrypted xattr names (EncryptedNameTransform.XattrNamesKept, #15: every
    /// daemon cache has a bound); names past it are encrypted per request and must work the same.
    /// </summary>
    [Fact]
    public void Xattr_names_past_the_name_cache_bound_all_round_trip()
    {
        string d = NewDir();
        const int names = 100, perFile = 4; // a few per file: ext4 keeps one block of xattrs per inode
        for (int i = 0; i < names; i++)
        {
            string f = Path.Combine(d, $"f{i / perFile}");
            if (i % perFile == 0) WriteAll(f, "x"u8);
            LibC.Check(LibC.SetXAttr(f, $"user.name{i}", BitConverter.GetBytes(i)), $"setxattr user.name{i}");
        }
        for (int i = names - 1; i >= 0; i--)
            Assert.Equal(BitConverter.GetBytes(i), LibC.GetXAttr(Path.Combine(d, $"f{i / perFile}"), $"user.name{i}"));
        for (int file = 0; file < names / perFile; file++)
            Assert.Equal(Enumerable.Range(file * perFile, perFile).Select(i => $"user.name{i}").Order(StringComparer.Ordinal),
                LibC.ListXAttr(Path.Combine(d, $"f{file}")).Where(n => n.StartsWith("user.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [RootFact("only root may give files away")]
    public void Chown_changes_owner_and_group_of_files_and_symlinks()
    {
        string d = NewDir();
        string f = Path.Combine(d, "f"), l = Path.Combine(d, "l");
        WriteAll(f, "x"u8);
        LibC.Check(LibC.Symlink("f", l), "symlink");
        LibC.Check(LibC.Chown(f, 1234, 5678), "chown");
        var st = LibC.StatOf(f);
        Assert.Equal((1234u, 5678u), (st.Uid, st.Gid));
        LibC.Check(LibC.Chown(f, uint.MaxValue, 42), "chown group only");
        st = LibC.StatOf(f);
        Assert.Equal((1234u, 42u), (st.Uid, st.Gid));
        LibC.Check(LibC.LChown(l, 777, 888), "lchown");
        var lst = LibC.LStatOf(l);
        Assert.Equal((777u, 888u), (lst.Uid, lst.Gid));
        Assert.Equal(1234u, LibC.StatOf(f).Uid);
        int fd = LibC.OpenOk(f, LibC.O_RDONLY);
        try
        {
            LibC.Check(LibC.FChown(fd, 0, 0), "fchown");
            Assert.Equal(0u, LibC.FStatOf(fd).Uid);
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Utimens_sets_nanosecond_times_and_honours_UTIME_NOW_and_UTIME_OMIT()
    {
        string d = NewDir();
        string f = Path.Combine(d, "f");
        WriteAll(f, "x"u8);
        var atime = new LibC.TimeSpec(1_000_000_000, 123_456_789);
        var mtime = new LibC.TimeSpec(1_200_000_000, 987_654_321);
        LibC.Check(LibC.UtimensAt(f, atime, mtime), "utimensat");
        var st = LibC.StatOf(f);
        Assert.Equal(atime, st.ATime);
        Assert.Equal(mtime, st.MTime);

        // Omit atime, set mtime to a pre-1970 time.
        var old = new LibC.TimeSpec(-86_400, 5);
        LibC.Check(LibC.UtimensAt(f, new LibC.TimeSpec(0, LibC.UTIME_OMIT), old), "utimensat omit atime");
        st = LibC.StatOf(f);
        Assert.Equal(atime, st.ATime);
        Assert.Equal(old, st.MTime);

        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        LibC.Check(LibC.UtimensAt(f, new LibC.TimeSpec(0, LibC.UTIME_NOW), new LibC.TimeSpec(0, LibC.UTIME_OMIT)), "utimensat now/omit");
        st = LibC.StatOf(f);
        Assert.InRange(st.ATime.Seconds, before - 1, before + 5);
        Assert.Equal(old, st.MTime);

        LibC.Check(LibC.UtimensAt(f, atime, mtime), "reset");
        LibC.Check(LibC.UtimensNow(f), "utimensat NULL");
        st = LibC.StatOf(f);
        Assert.InRange(st.ATime.Seconds, before - 1, before + 5);
        Assert.InRange(st.MTime.Seconds, before - 1, before + 5);
    }

    [Fact]
    public void Utimens_on_symlink_with_nofollow_changes_the_link_not_the_target()
    {
        string d = NewDir();
        string f = Path.Combine(d, "f"), l = Path.Combine(d, "l");
        WriteAll(f, "x"u8);
        LibC.Check(LibC.Symlink("f", l), "symlink");
        var fileTimes = LibC.StatOf(f).MTime;
        var t = new LibC.TimeSpec(1_500_000_000, 111);
        LibC.Check(LibC.UtimensAt(l, t, t, LibC.AT_SYMLINK_NOFOLLOW), "utimensat nofollow");
        Assert.Equal(t, LibC.LStatOf(l).MTime);
        Assert.Equal(fileTimes, LibC.StatOf(f).MTime);
    }

    [Fact]
    public void Futimens_on_open_file_sets_times()
    {
        string f = Path.Combine(NewDir(), "f");
        int fd = LibC.OpenOk(f, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            var t = new LibC.TimeSpec(1_600_000_000, 999_999_999);
            LibC.Check(LibC.FUtimens(fd, t, t), "futimens");
            Assert.Equal(t, LibC.FStatOf(fd).MTime);
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Write_updates_mtime_and_size()
    {
        string f = Path.Combine(NewDir(), "f");
        WriteAll(f, "x"u8);
        var t = new LibC.TimeSpec(1_000_000_000, 0);
        LibC.Check(LibC.UtimensAt(f, t, t), "utimensat");
        WriteAll(f, "longer"u8);
        var st = LibC.StatOf(f);
        Assert.True(st.MTime.Seconds > t.Seconds, "mtime did not move on write");
        Assert.Equal(6, st.Size);
    }

    [Fact]
    public void Xattrs_set_get_list_and_remove()
    {
        string f = Path.Combine(NewDir(), "f");
        WriteAll(f, "x"u8);
        byte[] value = Encoding.UTF8.GetBytes("värde");
        LibC.Check(LibC.SetXAttr(f, "user.one", value), "setxattr");
        LibC.Check(LibC.SetXAttr(f, "user.two", []), "setxattr empty value");
        byte[] big = Pattern(3000);
        LibC.Check(LibC.SetXAttr(f, "user.big", big), "setxattr 3000 bytes");
        Assert.Equal(value, LibC.GetXAttr(f, "user.one"));
        Assert.Equal(Array.Empty<byte>(), LibC.GetXAttr(f, "user.two"));
        Assert.Equal(big, LibC.GetXAttr(f, "user.big"));
        Assert.Equal(value.Length, LibC.GetXAttr(f, "user.one", Span<byte>.Empty));
        Assert.Equal(["user.big", "user.one", "user.two"], LibC.ListXAttr(f).Where(n => n.StartsWith("user.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        AssertErrno(LibC.ERANGE, LibC.GetXAttr(f, "user.one", new byte[2]), "getxattr into a small buffer");
        AssertErrno(LibC.ENODATA, LibC.GetXAttr(f, "user.missing", new byte[10]), "getxattr missing");
        AssertErrno(LibC.EEXIST, LibC.SetXAttr(f, "user.one", "x"u8, LibC.XATTR_CREATE), "XATTR_CREATE existing");
        AssertErrno(LibC.ENODATA, LibC.SetXAttr(f, "user.new", "x"u8, LibC.XATTR_REPLACE), "XATTR_REPLACE missing");
        LibC.Check(LibC.SetXAttr(f, "user.one", "replaced"u8, LibC.XATTR_REPLACE), "XATTR_REPLACE existing");
        Assert.Equal("replaced"u8.ToArray(), LibC.GetXAttr(f, "user.one"));
        LibC.Check(LibC.SetXAttr(f, "user.new", "created"u8, LibC.XATTR_CREATE), "XATTR_CREATE new");

        LibC.Check(LibC.RemoveXAttr(f, "user.one"), "removexattr");
        AssertErrno(LibC.ENODATA, LibC.RemoveXAttr(f, "user.one"), "removexattr again");
        AssertErrno(LibC.ENODATA, LibC.GetXAttr(f, "user.one", new byte[10]), "getxattr removed");
        Assert.Equal(["user.big", "user.new", "user.two"], LibC.ListXAttr(f).Where(n => n.StartsWith("user.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Xattrs_on_directories_and_symlinks_behave_as_on_plain_directory()
    {
        string d = NewDir();
        string plain = PlainDir();
        var results = new List<string>[2];
        foreach (var (root, i) in new[] { (d, 0), (plain, 1) })
        {
            var r = results[i] = [];
            Directory.CreateDirectory(Path.Combine(root, "dir"));
            LibC.Check(LibC.Symlink("dir", Path.Combine(root, "link")), "symlink");
            r.Add("dir set " + LibC.Name(LibC.ErrnoOf(LibC.SetXAttr(Path.Combine(root, "dir"), "user.k", "dirvalue"u8))));
            r.Add("dir get " + Encoding.UTF8.GetString(LibC.GetXAttr(Path.Combine(root, "dir"), "user.k") ?? []));
            r.Add("link set " + LibC.Name(LibC.ErrnoOf(LibC.SetXAttr(Path.Combine(root, "link"), "user.k", "linkvalue"u8))));
            r.Add("link get " + LibC.Name(LibC.ErrnoOf(LibC.GetXAttr(Path.Combine(root, "link"), "user.k", new byte[100]))));
            r.Add("unknown namespace " + LibC.Name(LibC.ErrnoOf(LibC.SetXAttr(Path.Combine(root, "dir"), "bogus.k", "v"u8))));
        }
        Assert.Equal(results[1], results[0]);
    }

    [Fact]
    public void Statfs_reports_the_backing_filesystem()
    {
        string d = NewDir();
        LibC.Check(LibC.StatVfs_(d, out var mounted), "statvfs mount");
        // The backing directory lives on the same filesystem as the scratch directories.
        LibC.Check(LibC.StatVfs_(PlainDir(), out var plain), "statvfs plain");
        Assert.Equal(plain.Blocks * plain.FragmentSize, mounted.Blocks * mounted.FragmentSize);
        Assert.Equal(plain.Files, mounted.Files);
        double free = (double)plain.BlocksAvailable * plain.FragmentSize, seen = (double)mounted.BlocksAvailable * mounted.FragmentSize;
        Assert.InRange(seen, free * 0.95, free * 1.05 + (1 << 30));
        Assert.True(mounted.NameMax >= 255, $"namemax {mounted.NameMax}");
        Assert.Equal(0ul, mounted.Flags & LibC.ST_RDONLY);
    }
}
