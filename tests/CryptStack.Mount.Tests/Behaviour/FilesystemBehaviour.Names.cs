using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// The namespace: create, remove, rename (with flags), links, symlinks, special files, long names.
public abstract partial class FilesystemBehaviour
{
    private static string[] Names(string dir)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    [Fact]
    public void Mkdir_rmdir_and_unlink_report_the_usual_errors()
    {
        string d = NewDir();
        string sub = Path.Combine(d, "sub");
        LibC.Check(LibC.MkDir(sub, 0x1ed), "mkdir");
        AssertErrno(LibC.EEXIST, LibC.MkDir(sub, 0x1ed), "mkdir existing");
        WriteAll(Path.Combine(sub, "f"), "x"u8);
        AssertErrno(LibC.ENOTEMPTY, LibC.RmDir(sub), "rmdir non-empty");
        AssertErrno(LibC.EISDIR, LibC.Unlink(sub), "unlink directory");
        AssertErrno(LibC.ENOTDIR, LibC.RmDir(Path.Combine(sub, "f")), "rmdir file");
        AssertErrno(LibC.ENOENT, LibC.Unlink(Path.Combine(sub, "missing")), "unlink missing");
        AssertErrno(LibC.ENOTDIR, LibC.Open(Path.Combine(sub, "f", "x"), LibC.O_RDONLY), "open below a file");
        LibC.Check(LibC.Unlink(Path.Combine(sub, "f")), "unlink");
        LibC.Check(LibC.RmDir(sub), "rmdir");
        AssertErrno(LibC.ENOENT, LibC.Stat_(sub, out _), "stat removed dir");
        Assert.Empty(Names(d));
    }

    [Fact]
    public void Directory_link_count_counts_subdirectories()
    {
        string d = NewDir();
        Assert.Equal(2ul, LibC.StatOf(d).NLink);
        Directory.CreateDirectory(Path.Combine(d, "a"));
        Directory.CreateDirectory(Path.Combine(d, "b"));
        WriteAll(Path.Combine(d, "f"), "x"u8);
        Assert.Equal(4ul, LibC.StatOf(d).NLink);
    }

    [Fact]
    public void Rename_moves_file_within_and_across_directories()
    {
        string d = NewDir();
        Directory.CreateDirectory(Path.Combine(d, "x"));
        Directory.CreateDirectory(Path.Combine(d, "y"));
        WriteAll(Path.Combine(d, "x", "a"), "content"u8);
        ulong ino = LibC.StatOf(Path.Combine(d, "x", "a")).Ino;
        LibC.Check(LibC.Rename(Path.Combine(d, "x", "a"), Path.Combine(d, "x", "b")), "rename in dir");
        LibC.Check(LibC.Rename(Path.Combine(d, "x", "b"), Path.Combine(d, "y", "c")), "rename across dirs");
        Assert.Empty(Names(Path.Combine(d, "x")));
        Assert.Equal(["c"], Names(Path.Combine(d, "y")));
        Assert.Equal("content", File.ReadAllText(Path.Combine(d, "y", "c")));
        Assert.Equal(ino, LibC.StatOf(Path.Combine(d, "y", "c")).Ino);
        AssertErrno(LibC.ENOENT, LibC.Rename(Path.Combine(d, "x", "a"), Path.Combine(d, "x", "z")), "rename missing");
    }

    [Fact]
    public void Rename_over_existing_file_replaces_it()
    {
        string d = NewDir();
        WriteAll(Path.Combine(d, "a"), "new"u8);
        WriteAll(Path.Combine(d, "b"), "old old old"u8);
        int held = LibC.OpenOk(Path.Combine(d, "b"), LibC.O_RDONLY);
        try
        {
            LibC.Check(LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "b")), "rename over file");
            Assert.Equal(["b"], Names(d));
            Assert.Equal("new", File.ReadAllText(Path.Combine(d, "b")));
            // The replaced file lives on for whoever holds it open.
            Assert.Equal("old old old"u8.ToArray(), LibC.PReadAll(held, 0, 100));
        }
        finally { LibC.Close(held); }
    }

    [Fact]
    public void Rename_directory_with_contents_keeps_children_reachable()
    {
        string d = NewDir();
        Directory.CreateDirectory(Path.Combine(d, "a", "b", "c"));
        WriteAll(Path.Combine(d, "a", "b", "c", "f"), "deep"u8);
        Directory.CreateDirectory(Path.Combine(d, "other"));
        LibC.Check(LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "other", "moved")), "rename dir");
        Assert.Equal("deep", File.ReadAllText(Path.Combine(d, "other", "moved", "b", "c", "f")));
        WriteAll(Path.Combine(d, "other", "moved", "b", "g"), "new"u8);
        Assert.Equal(["c", "g"], Names(Path.Combine(d, "other", "moved", "b")));
        Assert.False(Directory.Exists(Path.Combine(d, "a")));
        // And back again, through the names cached a moment ago.
        LibC.Check(LibC.Rename(Path.Combine(d, "other", "moved"), Path.Combine(d, "a")), "rename back");
        Assert.Equal("deep", File.ReadAllText(Path.Combine(d, "a", "b", "c", "f")));
        Assert.Equal("new", File.ReadAllText(Path.Combine(d, "a", "b", "g")));
    }

    [Fact]
    public void Rename_directory_over_directory_needs_it_empty_and_of_same_type()
    {
        string d = NewDir();
        Directory.CreateDirectory(Path.Combine(d, "src", "inner"));
        Directory.CreateDirectory(Path.Combine(d, "empty"));
        Directory.CreateDirectory(Path.Combine(d, "full"));
        WriteAll(Path.Combine(d, "full", "f"), "x"u8);
        WriteAll(Path.Combine(d, "file"), "x"u8);
        AssertErrno(LibC.ENOTEMPTY, LibC.Rename(Path.Combine(d, "src"), Path.Combine(d, "full")), "dir over non-empty dir");
        AssertErrno(LibC.ENOTDIR, LibC.Rename(Path.Combine(d, "src"), Path.Combine(d, "file")), "dir over file");
        AssertErrno(LibC.EISDIR, LibC.Rename(Path.Combine(d, "file"), Path.Combine(d, "empty")), "file over dir");
        AssertErrno(LibC.EINVAL, LibC.Rename(Path.Combine(d, "src"), Path.Combine(d, "src", "inner", "x")), "dir into itself");
        LibC.Check(LibC.Rename(Path.Combine(d, "src"), Path.Combine(d, "empty")), "dir over empty dir");
        Assert.Equal(["empty", "file", "full"], Names(d));
        Assert.Equal(["inner"], Names(Path.Combine(d, "empty")));
    }

    [Fact]
    public void Rename_noreplace_fails_with_EEXIST_and_keeps_both()
    {
        string d = NewDir();
        WriteAll(Path.Combine(d, "a"), "A"u8);
        WriteAll(Path.Combine(d, "b"), "B"u8);
        AssertErrno(LibC.EEXIST, LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "b"), LibC.RENAME_NOREPLACE), "noreplace over file");
        Assert.Equal("A", File.ReadAllText(Path.Combine(d, "a")));
        Assert.Equal("B", File.ReadAllText(Path.Combine(d, "b")));
        LibC.Check(LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "c"), LibC.RENAME_NOREPLACE), "noreplace to new name");
        Assert.Equal(["b", "c"], Names(d));
        Assert.Equal("A", File.ReadAllText(Path.Combine(d, "c")));
    }

    [Fact]
    public void Rename_exchange_swaps_two_files()
    {
        string d = NewDir();
        WriteAll(Path.Combine(d, "a"), "AAA"u8);
        WriteAll(Path.Combine(d, "b"), "B"u8);
        LibC.Check(LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "b"), LibC.RENAME_EXCHANGE), "exchange");
        Assert.Equal("B", File.ReadAllText(Path.Combine(d, "a")));
        Assert.Equal("AAA", File.ReadAllText(Path.Combine(d, "b")));
        Assert.Equal(1, LibC.StatOf(Path.Combine(d, "a")).Size);
        Assert.Equal(3, LibC.StatOf(Path.Combine(d, "b")).Size);
        AssertErrno(LibC.ENOENT, LibC.Rename(Path.Combine(d, "a"), Path.Combine(d, "missing"), LibC.RENAME_EXCHANGE), "exchange with missing");
    }

    [Fact]
    public void Rename_exchange_swaps_two_directories()
    {
        string d = NewDir();
        Directory.CreateDirectory(Path.Combine(d, "x", "deep"));
        Directory.CreateDirectory(Path.Combine(d, "y"));
        WriteAll(Path.Combine(d, "x", "deep", "fx"), "from x"u8);
        WriteAll(Path.Combine(d, "y", "fy"), "from y"u8);
        // Look both up first, so any cached view of them has to be corrected.
        Assert.Equal(["deep"], Names(Path.Combine(d, "x")));
        Assert.Equal(["fy"], Names(Path.Combine(d, "y")));
        LibC.Check(LibC.Rename(Path.Combine(d, "x"), Path.Combine(d, "y"), LibC.RENAME_EXCHANGE), "exchange dirs");
        Assert.Equal(["fy"], Names(Path.Combine(d, "x")));
        Assert.Equal(["deep"], Names(Path.Combine(d, "y")));
        Assert.Equal("from y", File.ReadAllText(Path.Combine(d, "x", "fy")));
        Assert.Equal("from x", File.ReadAllText(Path.Combine(d, "y", "deep", "fx")));
        WriteAll(Path.Combine(d, "y", "deep", "new"), "n"u8);
        Assert.Equal(["fx", "new"], Names(Path.Combine(d, "y", "deep")));
    }

    [Fact]
    public void Rename_exchange_swaps_a_file_and_a_directory_across_parents()
    {
        string d = NewDir();
        Directory.CreateDirectory(Path.Combine(d, "p1", "dir"));
        Directory.CreateDirectory(Path.Combine(d, "p2"));
        WriteAll(Path.Combine(d, "p1", "dir", "inside"), "i"u8);
        WriteAll(Path.Combine(d, "p2", "file"), "f"u8);
        LibC.Check(LibC.Rename(Path.Combine(d, "p1", "dir"), Path.Combine(d, "p2", "file"), LibC.RENAME_EXCHANGE), "exchange");
        Assert.Equal(LibC.S_IFREG, LibC.LStatOf(Path.Combine(d, "p1", "dir")).Type);
        Assert.Equal(LibC.S_IFDIR, LibC.LStatOf(Path.Combine(d, "p2", "file")).Type);
        Assert.Equal("f", File.ReadAllText(Path.Combine(d, "p1", "dir")));
        Assert.Equal("i", File.ReadAllText(Path.Combine(d, "p2", "file", "inside")));
    }

    [Fact]
    public void Hard_link_counts_follow_link_and_unlink()
    {
        string d = NewDir();
        string a = Path.Combine(d, "a"), b = Path.Combine(d, "b"), c = Path.Combine(d, "c");
        WriteAll(a, "shared"u8);
        Assert.Equal(1ul, LibC.StatOf(a).NLink);
        LibC.Check(LibC.Link(a, b), "link a b");
        Assert.Equal(2ul, LibC.StatOf(a).NLink);
        Assert.Equal(2ul, LibC.StatOf(b).NLink);
        Assert.Equal(LibC.StatOf(a).Ino, LibC.StatOf(b).Ino);
        LibC.Check(LibC.Link(b, c), "link b c");
        Assert.Equal(3ul, LibC.StatOf(c).NLink);
        Assert.Equal(3ul, LibC.StatOf(a).NLink);
        LibC.Check(LibC.Unlink(a), "unlink a");
        Assert.Equal(2ul, LibC.StatOf(b).NLink);
        Assert.Equal(2ul, LibC.StatOf(c).NLink);
        LibC.Check(LibC.Unlink(c), "unlink c");
        Assert.Equal(1ul, LibC.StatOf(b).NLink);
        Assert.Equal("shared", File.ReadAllText(b));
        AssertErrno(LibC.EEXIST, LibC.Link(b, b), "link over itself");
        AssertErrno(LibC.EPERM, LibC.Link(d, Path.Combine(d, "dirlink")), "link to a directory");
        AssertErrno(LibC.ENOENT, LibC.Link(a, Path.Combine(d, "x")), "link from a missing name");
    }

    [Fact]
    public void Hard_linked_names_share_content_and_attributes()
    {
        string d = NewDir();
        string a = Path.Combine(d, "a"), b = Path.Combine(d, "b");
        WriteAll(a, "one"u8);
        LibC.Check(LibC.Link(a, b), "link");
        WriteAll(b, "through b, longer"u8);
        Assert.Equal("through b, longer", File.ReadAllText(a));
        Assert.Equal(17, LibC.StatOf(a).Size);
        LibC.Check(LibC.Chmod(a, 0x180), "chmod a");
        Assert.Equal(0x180u, LibC.StatOf(b).Permissions);
    }

    [Fact]
    public void Hard_linked_names_see_a_write_before_it_is_closed()
    {
        // The names of a file are one kernel inode: the other name's cached attributes and pages
        // are the written ones, with no close or attribute timeout in between.
        string d = NewDir();
        string a = Path.Combine(d, "a"), b = Path.Combine(d, "b");
        WriteAll(a, "one"u8);
        LibC.Check(LibC.Link(a, b), "link");
        Assert.Equal(3, LibC.StatOf(b).Size);
        Assert.Equal("one", File.ReadAllText(b));
        int fd = LibC.OpenOk(a, LibC.O_RDWR);
        try
        {
            LibC.PWriteAll(fd, "written through a"u8, 0);
            Assert.Equal(17, LibC.StatOf(b).Size);
            Assert.Equal("written through a", File.ReadAllText(b));
            Assert.Equal(LibC.StatOf(a).Ino, LibC.StatOf(b).Ino);
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Symlink_reads_back_its_target_and_lstat_size_is_target_length()
    {
        string d = NewDir();
        WriteAll(Path.Combine(d, "target.txt"), "pointed at"u8);
        string link = Path.Combine(d, "link");
        LibC.Check(LibC.Symlink("target.txt", link), "symlink");
        Assert.Equal("target.txt", LibC.ReadLink(link));
        var st = LibC.LStatOf(link);
        Assert.Equal(LibC.S_IFLNK, st.Type);
        Assert.Equal("target.txt".Length, st.Size);
        Assert.Equal("pointed at", File.ReadAllText(link));
        Assert.Equal(LibC.S_IFREG, LibC.StatOf(link).Type);

        string dangling = Path.Combine(d, "dangling");
        LibC.Check(LibC.Symlink("../nowhere/at all", dangling), "dangling symlink");
        Assert.Equal("../nowhere/at all", LibC.ReadLink(dangling));
        AssertErrno(LibC.ENOENT, LibC.Stat_(dangling, out _), "stat through dangling link");
        AssertErrno(LibC.EEXIST, LibC.Symlink("x", link), "symlink over existing");
        AssertErrno(LibC.EINVAL, LibC.ReadLink(Path.Combine(d, "target.txt")) == null ? -1 : 0, "readlink of a file");

        string utf8 = Path.Combine(d, "ünï");
        LibC.Check(LibC.Symlink("ziel/ß/😀", utf8), "symlink with UTF-8 target");
        Assert.Equal("ziel/ß/😀", LibC.ReadLink(utf8));
        Assert.Equal(Encoding.UTF8.GetByteCount("ziel/ß/😀"), LibC.LStatOf(utf8).Size);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(1000)]
    [InlineData(4095)]
    public void Long_symlink_targets_round_trip(int length)
    {
        string d = NewDir(length.ToString());
        var sb = new StringBuilder();
        while (sb.Length < length) sb.Append("component/");
        string target = sb.ToString(0, length);
        string link = Path.Combine(d, "l");
        LibC.Check(LibC.Symlink(target, link), "symlink");
        Assert.Equal(target, LibC.ReadLink(link));
        Assert.Equal(length, LibC.LStatOf(link).Size);
    }

    [Fact]
    public void Hard_link_to_a_long_symlink_reads_its_target_after_the_original_is_gone_and_a_remount()
    {
        using var m = CreateMount();
        string target = string.Concat(Enumerable.Repeat("component/", 400));
        string link = m.P("long-link"), hard = m.P("hard-link");
        LibC.Check(LibC.Symlink(target, link), "symlink");
        LibC.Check(LibC.Link(link, hard), "link to a symlink");
        Assert.Equal(target, LibC.ReadLink(hard));
        Assert.Equal(target.Length, LibC.LStatOf(hard).Size);
        LibC.Check(LibC.Unlink(link), "unlink the original name");
        m.Unmount();
        m.MountAgain();

        Assert.Equal(target, LibC.ReadLink(hard));
        Assert.Equal(target.Length, LibC.LStatOf(hard).Size);
        // Listing (readdirplus) reports the same size as lstat.
        var ls = Shell.Run("ls", "-ln", m.MountPoint);
        Assert.Contains($" {target.Length} ", ls.StdOut);
    }

    [Fact]
    public void Symlink_target_of_PATH_MAX_bytes_fails_with_ENAMETOOLONG()
    {
        string d = NewDir();
        AssertErrno(LibC.ENAMETOOLONG, LibC.Symlink(new string('t', 4096), Path.Combine(d, "l")), "4096-byte target");
    }

    [Fact]
    public void Names_of_255_bytes_work_and_256_fail_with_ENAMETOOLONG()
    {
        string d = NewDir();
        string ascii = new('a', 255);
        // 127 two-byte characters and one more byte: 255 bytes of UTF-8.
        string multibyte = new string('é', 127) + "x";
        Assert.Equal(255, Encoding.UTF8.GetByteCount(multibyte));
        foreach (string name in new[] { ascii, multibyte })
        {
            string file = Path.Combine(d, name);
            WriteAll(file, Encoding.UTF8.GetBytes(name));
            Assert.Equal(name, File.ReadAllText(file));
            Assert.Equal(255, Encoding.UTF8.GetByteCount(name));
        }
        string dir = Path.Combine(d, new string('d', 255));
        LibC.Check(LibC.MkDir(dir, 0x1ed), "mkdir 255");
        WriteAll(Path.Combine(dir, new string('f', 255)), "inner"u8);
        Assert.Equal("inner", File.ReadAllText(Path.Combine(dir, new string('f', 255))));
        LibC.Check(LibC.Symlink("x", Path.Combine(d, new string('s', 255))), "symlink 255");
        LibC.Check(LibC.Rename(Path.Combine(d, ascii), Path.Combine(d, new string('r', 255))), "rename to 255");
        Assert.Equal([new string('d', 255), new string('r', 255), new string('s', 255), multibyte], Names(d));

        string tooLong = new('b', 256);
        AssertErrno(LibC.ENAMETOOLONG, LibC.Open(Path.Combine(d, tooLong), LibC.O_WRONLY | LibC.O_CREAT, 0x1a4), "create 256");
        AssertErrno(LibC.ENAMETOOLONG, LibC.MkDir(Path.Combine(d, tooLong), 0x1ed), "mkdir 256");
        AssertErrno(LibC.ENAMETOOLONG, LibC.Stat_(Path.Combine(d, tooLong), out _), "stat 256");
    }

    [Fact]
    public void Paths_up_to_PATH_MAX_work()
    {
        string d = NewDir();
        // Nest 200-byte components until the absolute path is 4095 bytes, the longest a syscall takes.
        string path = d;
        while (path.Length + 1 + 200 + 1 + 10 < 4095)
        {
            path = Path.Combine(path, new string('n', 200));
            LibC.Check(LibC.MkDir(path, 0x1ed), $"mkdir at depth {path.Length}");
        }
        string file = Path.Combine(path, new string('f', 4095 - path.Length - 1));
        Assert.Equal(4095, Encoding.UTF8.GetByteCount(file));
        WriteAll(file, "at the limit"u8);
        Assert.Equal("at the limit", File.ReadAllText(file));
        Assert.Equal(12, LibC.StatOf(file).Size);
        LibC.Check(LibC.Rename(file, file[..^1] + "g"), "rename at the limit");
        Assert.Equal("at the limit", File.ReadAllText(file[..^1] + "g"));
        AssertErrno(LibC.ENAMETOOLONG, LibC.Open(file + "x", LibC.O_WRONLY | LibC.O_CREAT, 0x1a4), "path of 4096 bytes");
        LibC.Check(LibC.Unlink(file[..^1] + "g"), "unlink at the limit");
    }

    [Fact]
    public void Mkfifo_makes_a_working_pipe()
    {
        string fifo = Path.Combine(NewDir(), "fifo");
        LibC.Check(LibC.MkFifo(fifo, 0x1a4), "mkfifo");
        var st = LibC.LStatOf(fifo);
        Assert.Equal(LibC.S_IFIFO, st.Type);
        Assert.Equal(0x1a4u & ~CurrentUmask(), st.Permissions);
        var writer = Task.Run(() =>
        {
            int w = LibC.OpenOk(fifo, LibC.O_WRONLY);
            try { LibC.Check(LibC.Write(w, "through the pipe"u8), "write fifo"); }
            finally { LibC.Close(w); }
        });
        int r = LibC.OpenOk(fifo, LibC.O_RDONLY);
        try
        {
            var buffer = new byte[100];
            int total = 0;
            long n;
            while ((n = LibC.Check(LibC.Read(r, buffer.AsSpan(total)), "read fifo")) > 0) total += (int)n;
            Assert.Equal("through the pipe", Encoding.ASCII.GetString(buffer, 0, total));
        }
        finally { LibC.Close(r); }
        Assert.True(writer.Wait(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Mknod_makes_regular_files()
    {
        string d = NewDir();
        LibC.Check(LibC.MkNod(Path.Combine(d, "reg"), LibC.S_IFREG | 0x1a4, 0), "mknod regular");
        Assert.Equal(LibC.S_IFREG, LibC.LStatOf(Path.Combine(d, "reg")).Type);
        Assert.Equal(0, LibC.LStatOf(Path.Combine(d, "reg")).Size);
    }

    [RootFact("only root may make device nodes")]
    public void Mknod_makes_device_nodes_and_sockets()
    {
        string d = NewDir();
        ulong dev = LibC.MakeDev(1, 3);
        LibC.Check(LibC.MkNod(Path.Combine(d, "null"), LibC.S_IFCHR | 0x1b6, dev), "mknod char device");
        var st = LibC.LStatOf(Path.Combine(d, "null"));
        Assert.Equal(LibC.S_IFCHR, st.Type);
        Assert.Equal(dev, st.RDev);
        LibC.Check(LibC.MkNod(Path.Combine(d, "sock"), LibC.S_IFSOCK | 0x1a4, 0), "mknod socket");
        Assert.Equal(LibC.S_IFSOCK, LibC.LStatOf(Path.Combine(d, "sock")).Type);
    }

    private static uint CurrentUmask()
    {
        uint mask = LibC.Umask(0x12);
        LibC.Umask(mask);
        return mask;
    }

    [Fact]
    public void Readdir_lists_10000_entries_exactly_once()
    {
        string d = NewDir();
        const int Count = 10_000;
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Count; i++)
        {
            string name = $"entry-{i:D5}-{new string('x', i % 40)}";
            expected.Add(name);
            LibC.Close(LibC.OpenOk(Path.Combine(d, name), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL));
        }
        var seen = Directory.EnumerateFileSystemEntries(d).Select(p => Path.GetFileName(p)!).ToList();
        Assert.Equal(Count, seen.Count);
        Assert.True(expected.SetEquals(seen), "listing differs from the names created");
    }

    [Fact]
    public void Readdir_during_concurrent_create_and_delete_lists_stable_entries_exactly_once()
    {
        string d = NewDir();
        var stable = Enumerable.Range(0, 400).Select(i => $"stable-{i:D4}").ToArray();
        foreach (string name in stable) LibC.Close(LibC.OpenOk(Path.Combine(d, name), LibC.O_WRONLY | LibC.O_CREAT));
        using var stop = new CancellationTokenSource();
        var churn = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                string name = Path.Combine(d, $"churn-{t}-{i % 50}");
                if (i / 50 % 2 == 0) LibC.Close(LibC.OpenOk(name, LibC.O_WRONLY | LibC.O_CREAT));
                else LibC.Check(LibC.Unlink(name), "unlink churn");
                i++;
            }
        })).ToArray();
        try
        {
            for (int round = 0; round < 30; round++)
            {
                var names = Directory.EnumerateFileSystemEntries(d).Select(p => Path.GetFileName(p)!).ToList();
                var stableSeen = names.Where(n => n.StartsWith("stable-", StringComparison.Ordinal)).ToList();
                Assert.Equal(stableSeen.Count, stableSeen.Distinct().Count());
                Assert.Equal(stable, stableSeen.Order(StringComparer.Ordinal).ToArray());
                Assert.All(names, n => Assert.True(n.StartsWith("stable-", StringComparison.Ordinal) || n.StartsWith("churn-", StringComparison.Ordinal), n));
            }
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(churn, TimeSpan.FromSeconds(30));
        }
    }
}
