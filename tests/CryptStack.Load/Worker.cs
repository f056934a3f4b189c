using Microsoft.Win32.SafeHandles;

namespace CryptStack.Load;

/// <summary>
/// One worker process: mixed operations for a bounded time in its own directory (create, write,
/// pwrite, read, rename, unlink, readdir, truncate, fsync, mkdir/rmdir), each checked against an
/// in-memory model, plus writes into its own slot of a few files that every worker shares. Slots are
/// unaligned (1000 bytes), so neighbours' writes land in the same encrypted blocks. With several
/// mounts the worker goes through mount (id mod count), so every shared block is written from each.
/// Prints a progress line per second and one result line at the end; any mismatch or unexpected
/// error ends it with exit code 1 and says what.
/// </summary>
internal sealed class Worker
{
    public const int SharedFiles = 3;
    public const int SlotSize = 1000;
    public const int MaxFiles = 40;

    private readonly string _mount;
    private readonly int _id;
    private readonly Random _random;
    private readonly DateTime _deadline;
    private readonly string _dir;
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirs = new(StringComparer.Ordinal);
    private readonly byte[][] _slots = new byte[SharedFiles][];
    private long _ops;
    private int _nameCounter;

    public Worker(string[] mounts, int id, int seed, double seconds)
    {
        _mount = mounts[id % mounts.Length];
        _id = id;
        _random = new Random(seed * 1000 + id);
        _deadline = DateTime.UtcNow.AddSeconds(seconds);
        _dir = Path.Combine(_mount, $"w{id:D2}");
    }

    public static string SharedPath(string mount, int k) => Path.Combine(mount, $"shared{k}");

    public int Run()
    {
        try
        {
            Directory.CreateDirectory(_dir);
            for (int k = 0; k < SharedFiles; k++) _slots[k] = [];
            var lastProgress = DateTime.UtcNow;
            while (DateTime.UtcNow < _deadline)
            {
                Step();
                _ops++;
                if (DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(1))
                {
                    Console.WriteLine($"progress {_id} {_ops}");
                    lastProgress = DateTime.UtcNow;
                }
            }
            VerifyAll();
            foreach (var (name, content) in _files)
                Console.WriteLine($"model {_id} {Path.GetRelativePath(_mount, Path.Combine(_dir, name))} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))}");
            for (int k = 0; k < SharedFiles; k++)
                if (_slots[k].Length > 0)
                    Console.WriteLine($"slot {_id} shared{k} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_slots[k]))}");
            Console.WriteLine($"done {_id} {_ops}");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine($"failed {_id} after {_ops} operations: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private void Step()
    {
        int pick = _random.Next(100);
        // A bounded working set: what grows over the run is then the daemon's doing, not the tree's.
        if (_files.Count >= MaxFiles) Unlink(RandomFile());
        else if (pick < 14 || _files.Count == 0) Create();
        else if (pick < 28) PWrite(RandomFile());
        else if (pick < 45) ReadAndCheck(RandomFile());
        else if (pick < 52) Rename(RandomFile());
        else if (pick < 58) Unlink(RandomFile());
        else if (pick < 64) ListAndCheck();
        else if (pick < 70) Truncate(RandomFile());
        else if (pick < 74) FSync(RandomFile());
        else if (pick < 78) MkdirOrRmdir(); // at most a few, see MkdirOrRmdir
        else if (pick < 90) SharedWrite(_random.Next(SharedFiles));
        else SharedRead(_random.Next(SharedFiles));
    }

    private string RandomFile() => _files.Keys.ElementAt(_random.Next(_files.Count));

    private string NewName()
    {
        // Now and then a long name, so long-name sidecars are created, renamed and removed too.
        string name = $"f{_nameCounter++}";
        return _random.Next(10) == 0 ? name + new string('n', 180) : name;
    }

    private byte[] RandomBytes(int length)
    {
        var b = new byte[length];
        _random.NextBytes(b);
        return b;
    }

    private void Create()
    {
        string name = NewName();
        byte[] content = RandomBytes(_random.Next(0, 3 * 4096 + 100));
        File.WriteAllBytes(Path.Combine(_dir, name), content);
        _files[name] = content;
    }

    private void PWrite(string name)
    {
        byte[] model = _files[name];
        long offset = _random.Next(0, model.Length + 2000);
        byte[] data = RandomBytes(_random.Next(1, 6000));
        using (SafeFileHandle h = File.OpenHandle(Path.Combine(_dir, name), FileMode.Open, FileAccess.Write))
            RandomAccess.Write(h, data, offset);
        long newLength = Math.Max(model.Length, offset + data.Length);
        var next = new byte[newLength];
        model.CopyTo(next, 0);
        data.CopyTo(next, offset);
        _files[name] = next;
    }

    private void ReadAndCheck(string name)
    {
        byte[] actual = File.ReadAllBytes(Path.Combine(_dir, name));
        if (!actual.AsSpan().SequenceEqual(_files[name]))
            throw new InvalidDataException($"{_dir}/{name}: read {actual.Length} bytes that differ from the {_files[name].Length} written");
    }

    private void Rename(string name)
    {
        string to = NewName();
        File.Move(Path.Combine(_dir, name), Path.Combine(_dir, to));
        _files[to] = _files[name];
        _files.Remove(name);
    }

    private void Unlink(string name)
    {
        File.Delete(Path.Combine(_dir, name));
        _files.Remove(name);
    }

    private void ListAndCheck()
    {
        var seen = Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var expected = _files.Keys.Concat(_dirs).ToHashSet(StringComparer.Ordinal);
        if (!seen.SetEquals(expected))
            throw new InvalidDataException($"{_dir}: listing has {seen.Count} names, the model {expected.Count}: " +
                $"extra [{string.Join(", ", seen.Except(expected).Take(3))}] missing [{string.Join(", ", expected.Except(seen!).Take(3))}]");
    }

    private void Truncate(string name)
    {
        byte[] model = _files[name];
        int length = _random.Next(0, model.Length + 5000);
        using (SafeFileHandle h = File.OpenHandle(Path.Combine(_dir, name), FileMode.Open, FileAccess.Write))
            RandomAccess.SetLength(h, length);
        var next = new byte[length];
        model.AsSpan(0, Math.Min(length, model.Length)).CopyTo(next);
        _files[name] = next;
    }

    private void FSync(string name)
    {
        using var fs = new FileStream(Path.Combine(_dir, name), FileMode.Open, FileAccess.ReadWrite);
        fs.Flush(flushToDisk: true);
    }

    private void MkdirOrRmdir()
    {
        if (_dirs.Count > 4 || (_dirs.Count > 0 && _random.Next(2) == 0))
        {
            string d = _dirs.First();
            Directory.Delete(Path.Combine(_dir, d));
            _dirs.Remove(d);
        }
        else
        {
            string d = "d" + _nameCounter++;
            Directory.CreateDirectory(Path.Combine(_dir, d));
            _dirs.Add(d);
        }
    }

    private void SharedWrite(int k)
    {
        byte[] record = RandomBytes(SlotSize);
        using (SafeFileHandle h = File.OpenHandle(SharedPath(_mount, k), FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            RandomAccess.Write(h, record, (long)_id * SlotSize);
        _slots[k] = record;
    }

    private void SharedRead(int k)
    {
        byte[] expected = _slots[k];
        if (expected.Length == 0) return;
        var actual = new byte[SlotSize];
        int n;
        using (SafeFileHandle h = File.OpenHandle(SharedPath(_mount, k), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            n = RandomAccess.Read(h, actual, (long)_id * SlotSize);
        if (n != SlotSize || !actual.AsSpan().SequenceEqual(expected))
            throw new InvalidDataException($"{SharedPath(_mount, k)}: slot {_id} reads back {n} bytes that differ from the record written");
    }

    private void VerifyAll()
    {
        ListAndCheck();
        foreach (string name in _files.Keys.ToList()) ReadAndCheck(name);
        for (int k = 0; k < SharedFiles; k++) SharedRead(k);
    }
}
