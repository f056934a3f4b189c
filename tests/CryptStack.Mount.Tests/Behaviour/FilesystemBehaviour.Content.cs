using System.Runtime.InteropServices;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// File contents: read, write, append, seek, truncate, holes, fallocate, mmap, large offsets.
public abstract partial class FilesystemBehaviour
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(131072 + 17)]
    [InlineData(3 * 1024 * 1024 + 5)]
    public void Written_bytes_read_back_unchanged(int size)
    {
        string path = Path.Combine(NewDir(size.ToString()), "f");
        byte[] data = Pattern(size, size);
        WriteAll(path, data);
        Assert.Equal(size, LibC.StatOf(path).Size);
        Assert.Equal(data, ReadAll(path));
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void Writes_at_random_offsets_and_sizes_match_plain_directory()
    {
        string mountFile = Path.Combine(NewDir(), "f");
        string plainFile = Path.Combine(PlainDir(), "f");
        var rng = new Random(42);
        int mfd = LibC.OpenOk(mountFile, LibC.O_RDWR | LibC.O_CREAT);
        int pfd = LibC.OpenOk(plainFile, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            for (int i = 0; i < 200; i++)
            {
                long offset = rng.Next(0, 300_000);
                byte[] data = Pattern(rng.Next(1, 20_000), i);
                LibC.PWriteAll(mfd, data, offset);
                LibC.PWriteAll(pfd, data, offset);
                long readOffset = rng.Next(0, 320_000);
                int readLength = rng.Next(1, 30_000);
                Assert.Equal(LibC.PReadAll(pfd, readOffset, readLength), LibC.PReadAll(mfd, readOffset, readLength));
            }
            Assert.Equal(LibC.FStatOf(pfd).Size, LibC.FStatOf(mfd).Size);
        }
        finally
        {
            LibC.Close(mfd);
            LibC.Close(pfd);
        }
        Assert.Equal(File.ReadAllBytes(plainFile), ReadAll(mountFile));
    }

    [Fact]
    public void Write_past_end_of_file_reads_back_zeros_in_the_gap()
    {
        string path = Path.Combine(NewDir(), "f");
        int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, "abc"u8, 0);
            LibC.PWriteAll(fd, "xyz"u8, 10_000);
            byte[] all = LibC.PReadAll(fd, 0, 20_000);
            Assert.Equal(10_003, all.Length);
            Assert.Equal("abc"u8.ToArray(), all[..3]);
            Assert.All(all[3..10_000], b => Assert.Equal(0, b));
            Assert.Equal("xyz"u8.ToArray(), all[10_000..]);
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Read_at_or_past_end_of_file_returns_zero_bytes()
    {
        string path = Path.Combine(NewDir(), "f");
        WriteAll(path, Pattern(5000));
        int fd = LibC.OpenOk(path, LibC.O_RDONLY);
        try
        {
            var buffer = new byte[100];
            Assert.Equal(0, LibC.PRead(fd, buffer, 5000));
            Assert.Equal(0, LibC.PRead(fd, buffer, 1 << 20));
            Assert.Equal(50, LibC.PRead(fd, buffer, 4950));
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Append_mode_writes_always_land_at_end_of_file()
    {
        string path = Path.Combine(NewDir(), "log");
        WriteAll(path, "start\n"u8);
        int a = LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_APPEND);
        int b = LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_APPEND);
        try
        {
            LibC.Check(LibC.Write(a, "a1\n"u8), "write a");
            LibC.Check(LibC.Write(b, "b1\n"u8), "write b");
            // pwrite on an O_APPEND fd appends too on Linux (pwrite(2) BUGS).
            LibC.Check(LibC.PWrite(a, "a2\n"u8, 0), "pwrite a");
            LibC.Check(LibC.Write(b, "b2\n"u8), "write b");
        }
        finally
        {
            LibC.Close(a);
            LibC.Close(b);
        }
        Assert.Equal("start\na1\nb1\na2\nb2\n", File.ReadAllText(path));
    }

    [Fact]
    public void Seek_set_cur_and_end_position_reads_and_writes()
    {
        string path = Path.Combine(NewDir(), "f");
        WriteAll(path, "0123456789"u8);
        int fd = LibC.OpenOk(path, LibC.O_RDWR);
        try
        {
            var two = new byte[2];
            Assert.Equal(3, LibC.LSeek(fd, 3, LibC.SEEK_SET));
            LibC.Read(fd, two);
            Assert.Equal("34"u8.ToArray(), two);
            Assert.Equal(7, LibC.LSeek(fd, 2, LibC.SEEK_CUR));
            LibC.Read(fd, two);
            Assert.Equal("78"u8.ToArray(), two);
            Assert.Equal(8, LibC.LSeek(fd, -2, LibC.SEEK_END));
            LibC.Write(fd, "XYZ"u8);
            Assert.Equal(11, LibC.LSeek(fd, 0, LibC.SEEK_END));
            Assert.Equal(20, LibC.LSeek(fd, 20, LibC.SEEK_SET));
            AssertErrno(LibC.EINVAL, LibC.LSeek(fd, -1, LibC.SEEK_SET), "lseek to -1");
        }
        finally { LibC.Close(fd); }
        Assert.Equal("01234567XYZ", File.ReadAllText(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(10_000)]
    [InlineData(70_000)]
    public void Truncate_by_path_down_and_up_keeps_prefix_and_zero_fills(int length)
    {
        string path = Path.Combine(NewDir(length.ToString()), "f");
        byte[] data = Pattern(50_000, length);
        WriteAll(path, data);
        LibC.Check(LibC.Truncate(path, length), "truncate");
        Assert.Equal(length, LibC.StatOf(path).Size);
        byte[] expected = new byte[length];
        data.AsSpan(0, Math.Min(length, data.Length)).CopyTo(expected);
        Assert.Equal(expected, ReadAll(path));
        // Grow again: the bytes cut off must not come back.
        LibC.Check(LibC.Truncate(path, 60_000), "truncate up");
        byte[] grown = new byte[60_000];
        expected.AsSpan(0, Math.Min(length, 60_000)).CopyTo(grown);
        Assert.Equal(grown, ReadAll(path));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    [InlineData(12_345)]
    public void Ftruncate_on_open_file_down_and_up_then_write(int length)
    {
        string mountFile = Path.Combine(NewDir(length.ToString()), "f");
        string plainFile = Path.Combine(PlainDir(), "f");
        foreach (string path in new[] { mountFile, plainFile })
        {
            int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
            try
            {
                LibC.PWriteAll(fd, Pattern(20_000, 7), 0);
                LibC.Check(LibC.FTruncate(fd, length), "ftruncate down");
                Assert.Equal(length, LibC.FStatOf(fd).Size);
                LibC.Check(LibC.FTruncate(fd, length + 9000), "ftruncate up");
                LibC.PWriteAll(fd, "tail"u8, length + 100);
                LibC.Check(LibC.FTruncate(fd, length + 50), "ftruncate into the write");
            }
            finally { LibC.Close(fd); }
        }
        Assert.Equal(File.ReadAllBytes(plainFile), ReadAll(mountFile));
    }

    [Fact]
    public void Open_with_O_TRUNC_empties_the_file()
    {
        string path = Path.Combine(NewDir(), "f");
        WriteAll(path, Pattern(9000));
        int fd = LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_TRUNC);
        LibC.Close(fd);
        Assert.Equal(0, LibC.StatOf(path).Size);
        Assert.Empty(ReadAll(path));
    }

    [Fact]
    public void O_EXCL_create_of_existing_file_fails_with_EEXIST()
    {
        string path = Path.Combine(NewDir(), "f");
        WriteAll(path, "x"u8);
        AssertErrno(LibC.EEXIST, LibC.Open(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL, 0x1a4), "open O_EXCL");
    }

    [Fact]
    public void Unlinked_open_file_leaves_no_hidden_name_in_the_backing_directory()
    {
        string path = Path.Combine(NewDir(), "f");
        WriteAll(path, "x"u8);
        int before = Directory.GetFileSystemEntries(Mount.Backing, "*", SearchOption.AllDirectories).Length;
        int fd = LibC.OpenOk(path, LibC.O_RDWR);
        try
        {
            LibC.Check(LibC.Unlink(path), "unlink");
            // No .fuse_hidden rename: the open file lives on through the node's descriptor alone.
            Assert.Equal(before - 1, Directory.GetFileSystemEntries(Mount.Backing, "*", SearchOption.AllDirectories).Length);
            Assert.Equal("x"u8.ToArray(), LibC.PReadAll(fd, 0, 10));
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Unlinked_open_file_stays_readable_writable_and_truncatable()
    {
        string path = Path.Combine(NewDir(), "f");
        int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, Pattern(10_000), 0);
            LibC.Check(LibC.Unlink(path), "unlink");
            AssertErrno(LibC.ENOENT, LibC.Stat_(path, out _), "stat after unlink");
            Assert.Equal(0ul, LibC.FStatOf(fd).NLink);
            LibC.PWriteAll(fd, "after"u8, 10_000);
            Assert.Equal(10_005, LibC.FStatOf(fd).Size);
            Assert.Equal("after"u8.ToArray(), LibC.PReadAll(fd, 10_000, 5));
            LibC.Check(LibC.FTruncate(fd, 100), "ftruncate unlinked");
            Assert.Equal(100, LibC.FStatOf(fd).Size);
            LibC.Check(LibC.FChmod(fd, 0x180), "fchmod unlinked");
            Assert.Equal(0x180u, LibC.FStatOf(fd).Permissions);
            LibC.Check(LibC.FSync(fd), "fsync unlinked");
            Assert.Equal(Pattern(10_000)[..100], LibC.PReadAll(fd, 0, 1000));
            // A new file under the old name is a different file.
            WriteAll(path, "new"u8);
            Assert.Equal(100, LibC.FStatOf(fd).Size);
        }
        finally { LibC.Close(fd); }
        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void Fsync_and_fdatasync_succeed_on_written_file()
    {
        string path = Path.Combine(NewDir(), "f");
        int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, Pattern(70_000), 0);
            AssertOk(LibC.FSync(fd), "fsync");
            LibC.PWriteAll(fd, Pattern(70_000, 2), 5);
            AssertOk(LibC.FDataSync(fd), "fdatasync");
        }
        finally { LibC.Close(fd); }
        int dfd = LibC.OpenOk(Path.GetDirectoryName(path)!, LibC.O_RDONLY | LibC.O_DIRECTORY);
        try { AssertOk(LibC.FSync(dfd), "fsync of a directory"); }
        finally { LibC.Close(dfd); }
    }

    // ---- holes ------------------------------------------------------------------------------

    [Fact]
    public void Seek_data_and_seek_hole_match_plain_directory()
    {
        const int K64 = 64 * 1024;
        long[] probes = [0, 1, K64 - 1, K64, K64 + 1, 500_000, 1 << 20, (1 << 20) + 5000, (1 << 20) + K64, 2 << 20, (3 << 20) - 1, 3 << 20, 4 << 20];
        string mountFile = Path.Combine(NewDir(), "sparse");
        string plainFile = Path.Combine(PlainDir(), "sparse");
        var results = new Dictionary<string, List<string>>();
        foreach (string path in new[] { mountFile, plainFile })
        {
            var seen = new List<string>();
            int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
            try
            {
                // Data on 64 KiB boundaries, so any block size up to 64 KiB sees the same map.
                LibC.PWriteAll(fd, Pattern(K64, 1), 0);
                LibC.PWriteAll(fd, Pattern(K64, 2), 1 << 20);
                LibC.Check(LibC.FTruncate(fd, 3 << 20), "ftruncate");
                LibC.Check(LibC.FSync(fd), "fsync");
                foreach (long at in probes)
                foreach (int whence in new[] { LibC.SEEK_DATA, LibC.SEEK_HOLE })
                {
                    long r = LibC.LSeek(fd, at, whence);
                    seen.Add($"{(whence == LibC.SEEK_DATA ? "DATA" : "HOLE")}({at}) = {(r < 0 ? LibC.Name(LibC.Errno) : r)}");
                }
            }
            finally { LibC.Close(fd); }
            results[path] = seen;
        }
        if (HolesMatchBackingFilesystem) Assert.Equal(results[plainFile], results[mountFile]);
        else AssertValidHoleMap(mountFile, probes, results[mountFile]);
        Assert.Equal(File.ReadAllBytes(plainFile), ReadAll(mountFile));
    }

    /// <summary>
    /// False where the mount reports holes at its own granularity (the encrypted format keeps the
    /// last block as data): SEEK_DATA/SEEK_HOLE are then checked against lseek(2)'s promises instead
    /// of the plain directory's exact answers.
    /// </summary>
    protected virtual bool HolesMatchBackingFilesystem => true;

    // lseek(2): SEEK_DATA gives the next offset >= at that is data, everything between reading zeros;
    // SEEK_HOLE the next offset >= at in a hole (end of file counts), which reads zeros; ENXIO at or past the end.
    private static void AssertValidHoleMap(string path, long[] probes, List<string> seen)
    {
        byte[] content = File.ReadAllBytes(path);
        long size = content.Length;
        int k = 0;
        foreach (long at in probes)
        foreach (bool data in new[] { true, false })
        {
            string entry = seen[k++];
            string value = entry[(entry.IndexOf("= ", StringComparison.Ordinal) + 2)..];
            if (at >= size)
            {
                Assert.True(value == "ENXIO", $"{entry}: at or past the end of a {size}-byte file must be ENXIO");
                continue;
            }
            Assert.True(long.TryParse(value, out long r), $"{entry}: inside a {size}-byte file");
            Assert.InRange(r, at, size);
            if (data) Assert.True(content.AsSpan((int)at, (int)(r - at)).IndexOfAnyExcept((byte)0) < 0, $"{entry}: skipped over data");
            else if (r < size) Assert.True(content[(int)r] == 0, $"{entry}: reported a hole where there is data");
        }
    }

    [Fact]
    public void Sparse_file_beyond_4GiB_reads_back_and_has_right_size()
    {
        const long FiveGiB = 5L << 30, FourGiB = 4L << 30;
        string path = Path.Combine(NewDir(), "big");
        int fd = LibC.OpenOk(path, LibC.O_RDWR | LibC.O_CREAT);
        try
        {
            LibC.PWriteAll(fd, "hello"u8, FiveGiB);
            // Across the 32-bit boundary: an offset cut to 32 bits would land near 0.
            LibC.PWriteAll(fd, "straddle!!"u8, FourGiB - 3);
            Assert.Equal(FiveGiB + 5, LibC.FStatOf(fd).Size);
            Assert.Equal("hello"u8.ToArray(), LibC.PReadAll(fd, FiveGiB, 100));
            Assert.Equal("straddle!!"u8.ToArray(), LibC.PReadAll(fd, FourGiB - 3, 10));
            Assert.All(LibC.PReadAll(fd, 0, 4096), b => Assert.Equal(0, b));
            Assert.All(LibC.PReadAll(fd, FiveGiB - 4096, 4096), b => Assert.Equal(0, b));
            long data = LibC.LSeek(fd, 0, LibC.SEEK_DATA);
            Assert.True(data > (1L << 30) && data <= FourGiB - 3, $"first data at {data}");
        }
        finally { LibC.Close(fd); }
        var st = LibC.StatOf(path);
        Assert.Equal(FiveGiB + 5, st.Size);
        Assert.True(st.Blocks * 512 < 16 << 20, $"a sparse 5 GiB file allocates {st.Blocks * 512} bytes");
        LibC.Check(LibC.Truncate(path, FourGiB + 1), "truncate to 4 GiB + 1");
        Assert.Equal(FourGiB + 1, LibC.StatOf(path).Size);
        fd = LibC.OpenOk(path, LibC.O_RDONLY);
        try { Assert.Equal("stra"u8.ToArray(), LibC.PReadAll(fd, FourGiB - 3, 100)); }
        finally { LibC.Close(fd); }
    }

    // ---- fallocate --------------------------------------------------------------------------

    // fs/fuse/file.c (fuse_file_fallocate) refuses every mode but KEEP_SIZE, PUNCH_HOLE and
    // ZERO_RANGE with EOPNOTSUPP before the request reaches the daemon.
    private const int ModesFuseForwards = LibC.FALLOC_FL_KEEP_SIZE | LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_ZERO_RANGE;

    public static TheoryData<int, long, long> FallocateCases() => new()
    {
        { 0, 0, 8192 },
        { 0, 30_000, 100_000 },
        { 0, 150_000, 10_000 },
        { LibC.FALLOC_FL_KEEP_SIZE, 90_000, 100_000 },
        { LibC.FALLOC_FL_KEEP_SIZE, 150_000, 10_000 },
        { LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 4096, 8192 },
        { LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 1000, 20_000 },
        { LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 90_000, 50_000 },
        { LibC.FALLOC_FL_PUNCH_HOLE, 4096, 4096 },
        { LibC.FALLOC_FL_ZERO_RANGE, 4096, 8192 },
        { LibC.FALLOC_FL_ZERO_RANGE, 1000, 20_000 },
        { LibC.FALLOC_FL_ZERO_RANGE, 90_000, 50_000 },
        { LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, 90_000, 50_000 },
        { LibC.FALLOC_FL_COLLAPSE_RANGE, 8192, 16384 },
        { LibC.FALLOC_FL_COLLAPSE_RANGE, 1000, 4096 },
        { LibC.FALLOC_FL_INSERT_RANGE, 8192, 16384 },
    };

    [Theory]
    [MemberData(nameof(FallocateCases))]
    public void Fallocate_mode_matches_plain_directory(int mode, long offset, long length)
    {
        string mountFile = Path.Combine(NewDir($"{mode}-{offset}-{length}"), "f");
        string plainFile = Path.Combine(PlainDir(), "f");
        byte[] initial = Pattern(100_000, 3);
        (int errno, long size, byte[] content) Apply(string path)
        {
            WriteAll(path, initial);
            int fd = LibC.OpenOk(path, LibC.O_RDWR);
            try
            {
                int e = LibC.ErrnoOf(LibC.FAllocate(fd, mode, offset, length));
                long size = LibC.FStatOf(fd).Size;
                return (e, size, LibC.PReadAll(fd, 0, (int)size));
            }
            finally { LibC.Close(fd); }
        }
        var plain = Apply(plainFile);
        var mounted = Apply(mountFile);
        if ((mode & ~ModesFuseForwards) != 0 && mounted.errno == LibC.EOPNOTSUPP)
        {
            Assert.Equal(initial, mounted.content);
            return;
        }
        Assert.Equal(LibC.Name(plain.errno), LibC.Name(mounted.errno));
        Assert.Equal(plain.size, mounted.size);
        Assert.Equal(plain.size, LibC.StatOf(mountFile).Size);
        Assert.True(plain.content.AsSpan().SequenceEqual(mounted.content), "content differs from the plain directory's");
    }

    [Fact]
    public void Punched_hole_reads_as_zeros_and_is_a_hole()
    {
        string path = Path.Combine(NewDir(), "f");
        byte[] data = Pattern(256 * 1024);
        WriteAll(path, data);
        int fd = LibC.OpenOk(path, LibC.O_RDWR);
        try
        {
            LibC.Check(LibC.FAllocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 64 * 1024, 128 * 1024), "punch");
            Array.Clear(data, 64 * 1024, 128 * 1024);
            Assert.Equal(data, LibC.PReadAll(fd, 0, data.Length));
            Assert.Equal(64 * 1024, LibC.LSeek(fd, 0, LibC.SEEK_HOLE));
            Assert.Equal(192 * 1024, LibC.LSeek(fd, 64 * 1024, LibC.SEEK_DATA));
        }
        finally { LibC.Close(fd); }
    }

    // ---- mmap -------------------------------------------------------------------------------

    [Fact]
    public void Mmap_read_sees_file_content()
    {
        string path = Path.Combine(NewDir(), "f");
        byte[] data = Pattern(3 * 4096 + 123);
        WriteAll(path, data);
        int fd = LibC.OpenOk(path, LibC.O_RDONLY);
        try
        {
            nint map = LibC.MMap(0, (nuint)data.Length, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
            Assert.True(map != -1, $"mmap: {LibC.Name(LibC.Errno)}");
            try
            {
                var seen = new byte[data.Length];
                Marshal.Copy(map, seen, 0, seen.Length);
                Assert.Equal(data, seen);
            }
            finally { LibC.MUnmap(map, (nuint)data.Length); }
        }
        finally { LibC.Close(fd); }
    }

    [Fact]
    public void Mmap_shared_write_is_seen_by_read_after_msync_and_after_munmap()
    {
        string path = Path.Combine(NewDir(), "f");
        const int Length = 5 * 4096;
        byte[] original = Pattern(Length, 1);
        WriteAll(path, original);
        byte[] first = Pattern(6000, 2), second = Pattern(3000, 3);
        int fd = LibC.OpenOk(path, LibC.O_RDWR);
        try
        {
            nint map = LibC.MMap(0, Length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            Assert.True(map != -1, $"shared writable mmap: {LibC.Name(LibC.Errno)}");
            Marshal.Copy(first, 0, map + 1000, first.Length);
            LibC.Check(LibC.MSync(map, Length, LibC.MS_SYNC), "msync");
            first.CopyTo(original, 1000);
            int other = LibC.OpenOk(path, LibC.O_RDONLY);
            try { Assert.Equal(original, LibC.PReadAll(other, 0, Length)); }
            finally { LibC.Close(other); }

            Marshal.Copy(second, 0, map + 4 * 4096 + 10, second.Length);
            second.CopyTo(original, 4 * 4096 + 10);
            LibC.Check(LibC.MUnmap(map, Length), "munmap");
        }
        finally { LibC.Check(LibC.Close(fd), "close"); }
        Assert.Equal(original, ReadAll(path));
        Assert.Equal(Length, LibC.StatOf(path).Size);
    }
}
