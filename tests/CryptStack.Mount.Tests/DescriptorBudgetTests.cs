using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// The kernel caches far more nodes than a daemon may hold descriptors. These mounts run with a
/// descriptor limit of 320 (64 node descriptors after the daemon's reserve), over trees of
/// thousands of entries: node descriptors are closed and reopened by name all the time, and
/// everything must work as if they were not.
/// </summary>
public sealed class DescriptorBudgetTests
{
    private static readonly string[] FewDescriptors = ["prlimit", "--nofile=320:320", "--"];

    public static TheoryData<string> Kinds => new() { "mirror", "encrypted" };

    private static TestMount MountWithFewDescriptors(string kind) => kind == "mirror"
        ? TestMount.Start(m => ["mirror", m.Backing, m.MountPoint], launcher: FewDescriptors)
        : TestVolumes.MountThrough(FewDescriptors);

    private static string Content(int d, int f) => $"directory {d}, file {f}\n";

    /// <summary>Writes dirs × files small files through the mount: far more nodes than descriptors.</summary>
    private static void WriteTree(TestMount m, int dirs, int files)
    {
        for (int d = 0; d < dirs; d++)
        {
            Directory.CreateDirectory(m.P($"d{d}"));
            for (int f = 0; f < files; f++) File.WriteAllText(m.P($"d{d}/f{f}"), Content(d, f));
        }
    }

    /// <summary>Reads and stats every file of the tree through the mount; every node is used again.</summary>
    private static void AssertTree(TestMount m, int dirs, int files, Func<int, int, bool>? skip = null)
    {
        for (int d = 0; d < dirs; d++)
            for (int f = 0; f < files; f++)
            {
                if (skip?.Invoke(d, f) == true) continue;
                string path = m.P($"d{d}/f{f}");
                Assert.Equal(Content(d, f), File.ReadAllText(path));
                Assert.Equal(Encoding.UTF8.GetByteCount(Content(d, f)), LibC.StatOf(path).Size);
            }
    }

    [Theory, MemberData(nameof(Kinds))]
    public void A_tree_far_larger_than_the_descriptor_limit_stays_usable_through_renames_and_links(string kind)
    {
        using var m = MountWithFewDescriptors(kind);
        const int dirs = 12, files = 100;
        WriteTree(m, dirs, files);
        AssertTree(m, dirs, files);
        Assert.Contains("the kernel caches more than 64 nodes", m.Log);

        // d0's children were used first, so their descriptors (and d0's) are long closed: they are
        // reopened through the directory's new name.
        Directory.Move(m.P("d0"), m.P("renamed"));
        for (int f = 0; f < files; f++) Assert.Equal(Content(0, f), File.ReadAllText(m.P($"renamed/f{f}")));

        // A hard link whose first name goes: the node is reached through the name that is left.
        LibC.Check(LibC.Link(m.P("d1/f0"), m.P("d2/link")), "link");
        LibC.Check(LibC.Unlink(m.P("d1/f0")), "unlink");
        File.Move(m.P("d3/f5"), m.P("d4/moved"));
        AssertTree(m, dirs, files, skip: (d, f) => d == 0 || (d, f) is (1, 0) or (3, 5));
        Assert.Equal(Content(1, 0), File.ReadAllText(m.P("d2/link")));
        Assert.Equal(Content(3, 5), File.ReadAllText(m.P("d4/moved")));
        Assert.Equal(1ul, LibC.StatOf(m.P("d2/link")).NLink);
        Assert.False(File.Exists(m.P("d3/f5")));
        Assert.Equal(files - 1, Directory.GetFiles(m.P("d3")).Length);

        // Removing the tree reaches every node by name once more.
        foreach (string dir in Directory.GetDirectories(m.MountPoint)) Directory.Delete(dir, recursive: true);
        Assert.Empty(Directory.EnumerateFileSystemEntries(m.MountPoint));
        Assert.DoesNotContain("rror", m.Log);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void An_unlinked_open_file_keeps_its_node_while_thousands_of_others_come_and_go(string kind)
    {
        using var m = MountWithFewDescriptors(kind);
        int fd = LibC.OpenOk(m.P("victim"), LibC.O_RDWR | LibC.O_CREAT, 0x1a4 /* 0644 */);
        try
        {
            LibC.Check(LibC.Write(fd, "still here"u8), "write");
            LibC.Check(LibC.Unlink(m.P("victim")), "unlink");
            const int dirs = 6, files = 100;
            WriteTree(m, dirs, files);
            AssertTree(m, dirs, files);

            // fchmod and fsetxattr reach the daemon as operations on the node, not the open file:
            // only the node's own descriptor leads to an inode that has no name left.
            LibC.Check(LibC.FChmod(fd, 0x180 /* 0600 */), "fchmod of the unlinked file");
            Assert.Equal(0x180u, LibC.FStatOf(fd).Mode & 0xfff);
            LibC.Check(LibC.FSetXAttr(fd, "user.note", "kept"u8), "fsetxattr of the unlinked file");
            var value = new byte[16];
            long n = LibC.FGetXAttr(fd, "user.note", value);
            Assert.Equal("kept", Encoding.UTF8.GetString(value, 0, (int)LibC.Check(n, "fgetxattr")));
            var read = new byte[32];
            Assert.Equal("still here", Encoding.UTF8.GetString(read, 0, (int)LibC.Check(LibC.PRead(fd, read, 0), "pread")));
        }
        finally { LibC.Close(fd); }
        Assert.False(File.Exists(m.P("victim")));
    }

    [Fact]
    public void Running_out_of_descriptors_while_mounted_closes_node_descriptors_instead_of_failing()
    {
        using var m = TestMount.Mirror();
        // The node budget was set from the limit the daemon started with; lowering the limit of
        // the running daemon makes it run out before reaching the budget.
        var r = Shell.Run("prlimit", "--pid", m.DaemonPid.ToString(), "--nofile=400:400");
        Assert.True(r.ExitCode == 0, r.ToString());
        const int dirs = 10, files = 100;
        WriteTree(m, dirs, files);
        AssertTree(m, dirs, files);
        Assert.Contains("out of file descriptors", m.Log);
    }
}
