using System.Security.Cryptography;
using System.Text;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// A seeded generator of filesystem operations for differential tests: the same operation is
/// applied to two directory trees and its outcome (success, errno, bytes read) compared. Paths
/// are chosen mostly among the entries that exist in the reference tree, so operations hit
/// files and directories rather than ENOENT. Symlink targets are relative and never contain
/// "..", so following one never leaves the tree under test.
/// </summary>
public sealed class RandomOperations(int seed)
{
    public sealed record Op(string Kind, string Path, string? Path2 = null, long A = 0, long B = 0, int DataSeed = 0)
    {
        public override string ToString() => Kind switch
        {
            "rename" or "link" => $"{Kind}({Short(Path)}, {Short(Path2!)}, flags={A})",
            "symlink" => $"symlink(target={Path2}, {Short(Path)})",
            "chmod" or "mkdir" or "create" => $"{Kind}({Short(Path)}, 0{Convert.ToString(A, 8)})",
            "unlink" or "rmdir" => $"{Kind}({Short(Path)})",
            _ => $"{Kind}({Short(Path)}, {A}, {B})",
        };
    }

    /// <summary>The 255-byte pool name as L*255, so failure messages stay readable.</summary>
    public static string Short(string path) => path.Replace(LongName, "L*255");

    private static readonly string LongName = new('L', 255);

    private static readonly string[] NamePool =
        ["a", "b", "c", "d", "e", "ü", "sp ace", new string('L', 255)];
    private static readonly string[] LinkTargets = ["a", "b", "c/d", "e", "ü/a", "nowhere", "a/b/c"];
    private static readonly uint[] Modes = [0x1a4, 0x180, 0x1ed, 0x1c0, 0x124, 0x16d, 0x1ff];

    private readonly Random _rng = new(seed);

    public Op Next(string referenceRoot)
    {
        var (files, dirs, all) = Entries(referenceRoot);
        string Existing(List<string> from) => from.Count > 0 && _rng.Next(10) < 8 ? from[_rng.Next(from.Count)] : Fresh();
        string Fresh()
        {
            string parent = dirs.Count > 0 && _rng.Next(3) > 0 ? dirs[_rng.Next(dirs.Count)] : "";
            string name = NamePool[_rng.Next(NamePool.Length)];
            return parent.Length == 0 ? name : parent + "/" + name;
        }
        int dataSeed = _rng.Next();
        return _rng.Next(100) switch
        {
            < 12 => new Op("create", Fresh(), A: Modes[_rng.Next(Modes.Length)]),
            < 27 => new Op("write", Existing(files), A: _rng.Next(0, 150_000), B: _rng.Next(1, 20_000), DataSeed: dataSeed),
            < 30 => new Op("overwrite", Existing(files), A: 0, B: _rng.Next(0, 30_000), DataSeed: dataSeed),
            < 40 => new Op("read", Existing(files), A: _rng.Next(0, 160_000), B: _rng.Next(1, 40_000)),
            < 48 => new Op("truncate", Existing(files), A: _rng.Next(0, 4) == 0 ? 0 : _rng.Next(0, 180_000)),
            < 58 => new Op("rename", Existing(all), Existing(all), A: _rng.Next(10) switch { < 6 => 0, < 8 => 1, _ => 2 }),
            < 65 => new Op("mkdir", Fresh(), A: Modes[_rng.Next(Modes.Length)]),
            < 72 => new Op("unlink", Existing(all)),
            < 77 => new Op("rmdir", Existing(dirs)),
            < 82 => new Op("symlink", Fresh(), LinkTargets[_rng.Next(LinkTargets.Length)]),
            < 87 => new Op("link", Existing(files), Fresh()),
            < 92 => new Op("chmod", Existing(all), A: Modes[_rng.Next(Modes.Length)]),
            < 95 => new Op("punch", Existing(files), A: _rng.Next(0, 150_000), B: _rng.Next(1, 60_000)),
            < 97 => new Op("zero", Existing(files), A: _rng.Next(0, 150_000), B: _rng.Next(1, 60_000)),
            _ => new Op("mmapwrite", Existing(files), A: _rng.Next(0, 150_000), B: _rng.Next(1, 20_000), DataSeed: dataSeed),
        };
    }

    /// <summary>Applies <paramref name="op"/> under <paramref name="root"/>; "OK", "OK sha" for reads, or the errno name.</summary>
    public static string Apply(Op op, string root)
    {
        string p = System.IO.Path.Combine(root, op.Path);
        string? p2 = op.Path2 == null ? null : System.IO.Path.Combine(root, op.Path2);
        switch (op.Kind)
        {
            case "create":
            {
                int fd = LibC.Open(p, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, (uint)op.A);
                if (fd < 0) return Err();
                return Close(fd);
            }
            case "write":
            {
                int fd = LibC.Open(p, LibC.O_WRONLY | LibC.O_CLOEXEC);
                if (fd < 0) return Err();
                var data = new byte[op.B];
                new Random(op.DataSeed).NextBytes(data);
                long rc = LibC.PWrite(fd, data, op.A);
                string r = rc < 0 ? Err() : rc == data.Length ? "OK" : $"short {rc}";
                return Close(fd, r);
            }
            case "overwrite":
            {
                int fd = LibC.Open(p, LibC.O_WRONLY | LibC.O_TRUNC | LibC.O_CLOEXEC);
                if (fd < 0) return Err();
                var data = new byte[op.B];
                new Random(op.DataSeed).NextBytes(data);
                long rc = LibC.Write(fd, data);
                string r = rc < 0 ? Err() : rc == data.Length ? "OK" : $"short {rc}";
                return Close(fd, r);
            }
            case "read":
            {
                int fd = LibC.Open(p, LibC.O_RDONLY | LibC.O_CLOEXEC);
                if (fd < 0) return Err();
                var data = new byte[op.B];
                long n = LibC.PRead(fd, data, op.A);
                string r = n < 0 ? Err() : $"OK {n} {Convert.ToHexString(SHA256.HashData(data.AsSpan(0, (int)n)))[..12]}";
                return Close(fd, r);
            }
            case "truncate": return Result(LibC.Truncate(p, op.A));
            case "rename": return Result(LibC.Rename(p, p2!, (uint)op.A));
            case "mkdir": return Result(LibC.MkDir(p, (uint)op.A));
            case "unlink": return Result(LibC.Unlink(p));
            case "rmdir": return Result(LibC.RmDir(p));
            case "symlink": return Result(LibC.Symlink(op.Path2!, p));
            case "link": return Result(LibC.Link(p, p2!));
            case "chmod": return Result(LibC.Chmod(p, (uint)op.A));
            case "punch":
            {
                int fd = LibC.Open(p, LibC.O_WRONLY | LibC.O_CLOEXEC);
                if (fd < 0) return Err();
                string r = Result(LibC.FAllocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, op.A, op.B));
                return Close(fd, r);
            }
            case "zero":
            {
                int fd = LibC.Open(p, LibC.O_WRONLY | LibC.O_CLOEXEC);
                if (fd < 0) return Err();
                string r = Result(LibC.FAllocate(fd, LibC.FALLOC_FL_ZERO_RANGE, op.A, op.B));
                return Close(fd, r);
            }
            case "mmapwrite":
                return MmapWrite(p, op);
            default: throw new ArgumentException(op.Kind);
        }
    }

    /// <summary>
    /// Writes through a shared mapping of the file (never past its end: a mapping does not grow a
    /// file), then msync and munmap, so the data reaches the filesystem through the page cache's
    /// writeback path rather than write(2).
    /// </summary>
    private static unsafe string MmapWrite(string path, Op op)
    {
        int fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) return Err();
        long size = LibC.FStatOf(fd).Size;
        long start = op.A / 4096 * 4096;
        if (start >= size) return Close(fd, "OK nothing mapped");
        int length = (int)Math.Min(op.B, size - start);
        nint map = LibC.MMap(0, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, start);
        if (map == -1) return Close(fd, Err());
        var data = new byte[length];
        new Random(op.DataSeed).NextBytes(data);
        data.CopyTo(new Span<byte>((void*)map, length));
        string r = Result(LibC.MSync(map, (nuint)length, LibC.MS_SYNC));
        LibC.MUnmap(map, (nuint)length);
        return Close(fd, r);
    }

    private static string Err() => LibC.Name(LibC.Errno);
    private static string Result(long rc) => rc < 0 ? Err() : "OK";

    private static string Close(int fd, string result = "OK")
    {
        string closed = Result(LibC.Close(fd));
        return closed == "OK" ? result : $"{result}, close {closed}";
    }

    /// <summary>Regular files, directories and all entries under <paramref name="root"/>, relative, without following symlinks.</summary>
    private static (List<string> Files, List<string> Dirs, List<string> All) Entries(string root)
    {
        var files = new List<string>();
        var dirs = new List<string>();
        var all = new List<string>();
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            string rel = pending.Pop();
            var names = Directory.EnumerateFileSystemEntries(rel.Length == 0 ? root : System.IO.Path.Combine(root, rel))
                .Select(x => System.IO.Path.GetFileName(x)!).Order(StringComparer.Ordinal);
            foreach (string name in names)
            {
                string child = rel.Length == 0 ? name : rel + "/" + name;
                all.Add(child);
                var st = LibC.LStatOf(System.IO.Path.Combine(root, child));
                if (st.Type == LibC.S_IFDIR)
                {
                    dirs.Add(child);
                    // Past PATH_MAX nothing works alike anywhere: keep trees shallow enough.
                    if (Encoding.UTF8.GetByteCount(child) < 1500) pending.Push(child);
                }
                else if (st.Type == LibC.S_IFREG) files.Add(child);
            }
        }
        return (files, dirs, all);
    }
}
