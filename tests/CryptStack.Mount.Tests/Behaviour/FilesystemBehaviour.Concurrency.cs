using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// Many writers on one file: threads of this process, and separate processes.
public abstract partial class FilesystemBehaviour
{
    [Fact]
    public void Threads_writing_disjoint_ranges_of_one_file_lose_nothing()
    {
        string path = Path.Combine(NewDir(), "shared");
        // Chunks of an odd size, so neighbouring writers share blocks of any power-of-two size.
        const int Chunk = 10_007, Threads = 8, ChunksPerThread = 24;
        byte[] expected = Pattern(Chunk * Threads * ChunksPerThread, 5);
        LibC.Close(LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_CREAT));
        using var start = new Barrier(Threads);
        // Tasks, not raw threads: a failed assertion must fail the test, not kill the test host.
        var writers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            int fd = LibC.OpenOk(path, LibC.O_WRONLY);
            try
            {
                start.SignalAndWait();
                for (int i = 0; i < ChunksPerThread; i++)
                {
                    long chunk = (long)i * Threads + t;
                    LibC.PWriteAll(fd, expected.AsSpan((int)(chunk * Chunk), Chunk), chunk * Chunk);
                }
            }
            finally { LibC.Close(fd); }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(writers, TimeSpan.FromSeconds(120)));
        Assert.Equal(expected.Length, LibC.StatOf(path).Size);
        Assert.True(expected.AsSpan().SequenceEqual(ReadAll(path)), "content differs after concurrent writes");
    }

    [Fact]
    public void Threads_reading_while_others_write_see_only_old_or_new_bytes()
    {
        string path = Path.Combine(NewDir(), "f");
        const int Size = 256 * 1024;
        byte[] a = new byte[Size], b = new byte[Size];
        Array.Fill(a, (byte)'a');
        Array.Fill(b, (byte)'b');
        WriteAll(path, a);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            int fd = LibC.OpenOk(path, LibC.O_WRONLY);
            try
            {
                for (int i = 0; i < 40; i++) LibC.PWriteAll(fd, i % 2 == 0 ? b : a, 0);
            }
            finally { LibC.Close(fd); stop.Cancel(); }
        });
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            int fd = LibC.OpenOk(path, LibC.O_RDONLY);
            try
            {
                var buffer = new byte[Size];
                while (!stop.IsCancellationRequested)
                {
                    long n = LibC.Check(LibC.PRead(fd, buffer, 0), "pread");
                    Assert.Equal(Size, n);
                    Assert.All(buffer, c => Assert.True(c == 'a' || c == 'b', $"byte {c}"));
                }
            }
            finally { LibC.Close(fd); }
        })).ToArray();
        Assert.True(Task.WaitAll([writer, .. readers], TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void Processes_writing_disjoint_ranges_of_one_file_lose_nothing()
    {
        string path = Path.Combine(NewDir(), "shared");
        const int Chunk = 12_345, Workers = 4, ChunksPerWorker = 12;
        byte[] expected = Pattern(Chunk * Workers * ChunksPerWorker, 6);
        string source = Path.Combine(PlainDir(), "pattern");
        File.WriteAllBytes(source, expected);
        LibC.Close(LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_CREAT));
        var workers = Enumerable.Range(0, Workers).Select(w =>
        {
            string chunks = string.Join(' ', Enumerable.Range(0, ChunksPerWorker).Select(i => i * Workers + w));
            string script = $"for i in {chunks}; do dd if={Shell.Quote(source)} of={Shell.Quote(path)} bs={Chunk} skip=$i seek=$i count=1 conv=notrunc status=none || exit 1; done";
            return Task.Run(() => Shell.Run("sh", "-c", script));
        }).ToArray();
        Task.WaitAll(workers, TimeSpan.FromSeconds(120));
        foreach (var w in workers) Assert.True(w.Result.ExitCode == 0, w.Result.ToString());
        Assert.Equal(expected.Length, LibC.StatOf(path).Size);
        Assert.True(expected.AsSpan().SequenceEqual(ReadAll(path)), "content differs after writes from several processes");
    }

    [Fact]
    public void Processes_appending_to_one_file_interleave_whole_records()
    {
        string path = Path.Combine(NewDir(), "log");
        LibC.Close(LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_CREAT));
        const int Workers = 4, Lines = 100;
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() =>
            Shell.Run("sh", "-c", $"i=0; while [ $i -lt {Lines} ]; do echo \"worker{w} line $i padding-padding-padding\" >> {Shell.Quote(path)}; i=$((i+1)); done"))).ToArray();
        Task.WaitAll(workers, TimeSpan.FromSeconds(120));
        foreach (var w in workers) Assert.True(w.Result.ExitCode == 0, w.Result.ToString());
        var lines = File.ReadAllLines(path);
        Assert.Equal(Workers * Lines, lines.Length);
        for (int w = 0; w < Workers; w++)
        {
            var mine = lines.Where(l => l.StartsWith($"worker{w} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, Lines).Select(i => $"worker{w} line {i} padding-padding-padding"), mine);
        }
    }
}
