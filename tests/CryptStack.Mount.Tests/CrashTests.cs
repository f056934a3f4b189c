using System.Diagnostics;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Issue #14, crash consistency: the daemon is killed with SIGKILL while several writers overwrite blocks
/// of several files (some of them fsyncing). FUSE writes here are write-through (no writeback cache), so a
/// write that returned has reached the backing file; after a remount every block must read back as the
/// last write that returned to its writer. The one write each writer had in flight when the daemon died
/// may have landed or not (old or new), and only its block may fail to authenticate (EIO), if the kill
/// cut the backing pwrite short. Nothing else may be EIO, and nothing may read as anything else.
/// </summary>
public sealed class CrashTests
{
    private const int Writers = 4, Blocks = 32, BlockSize = 4096;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Kill_9_during_writes_keeps_every_returned_write(int seed)
    {
        using var m = TestVolumes.Mount();
        var files = Enumerable.Range(0, Writers).Select(w => m.P($"file{w}")).ToArray();
        foreach (string f in files)
        {
            int fd = LibC.OpenOk(f, LibC.O_RDWR | LibC.O_CREAT);
            try { LibC.PWriteAll(fd, new byte[Blocks * BlockSize], 0); LibC.Check(LibC.FSync(fd), "fsync"); }
            finally { LibC.Close(fd); }
        }
        // Per writer: the last content that returned for each block, and the write in flight at the kill.
        var last = new byte[Writers][][];
        var inFlight = new (int Block, byte[] Data)?[Writers];
        using var stop = new CancellationTokenSource();
        var started = new CountdownEvent(Writers);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            var random = new Random(seed * 100 + w);
            last[w] = Enumerable.Range(0, Blocks).Select(_ => new byte[BlockSize]).ToArray();
            int fd = LibC.OpenOk(files[w], LibC.O_RDWR);
            started.Signal();
            try
            {
                for (int seq = 0; !stop.IsCancellationRequested; seq++)
                {
                    int block = random.Next(Blocks);
                    var data = new byte[BlockSize];
                    random.NextBytes(data);
                    inFlight[w] = (block, data);
                    if (LibC.PWrite(fd, data, (long)block * BlockSize) != BlockSize) return; // the daemon is gone
                    last[w][block] = data;
                    inFlight[w] = null;
                    if (seq % 16 == 0 && LibC.FSync(fd) != 0) return;
                }
            }
            finally { LibC.Close(fd); }
        })).ToArray();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        Thread.Sleep(1500 + seed * 300);
        LibC.Check(LibC.Kill(m.DaemonPid, LibC.SIGKILL), "kill -9 the daemon");
        Assert.True(m.WaitForDaemonExit(TimeSpan.FromSeconds(10)), "daemon still alive after SIGKILL");
        stop.Cancel();
        Assert.True(Task.WaitAll(writers, TimeSpan.FromSeconds(30)), "writers hung on the dead mount");

        using (var p = Process.Start("fusermount3", ["-u", "-z", m.MountPoint])) p.WaitForExit();
        m.MountAgain();
        var problems = new List<string>();
        for (int w = 0; w < Writers; w++)
        {
            int fd = LibC.OpenOk(m.P($"file{w}"), LibC.O_RDONLY);
            try
            {
                for (int block = 0; block < Blocks; block++)
                {
                    var buffer = new byte[BlockSize];
                    long n = LibC.PRead(fd, buffer, (long)block * BlockSize);
                    bool wasInFlight = inFlight[w] is { } f && f.Block == block;
                    if (n < 0)
                    {
                        if (!wasInFlight) problems.Add($"file{w} block {block}: {LibC.Name(LibC.Errno)} (no write was in flight there)");
                        continue;
                    }
                    bool isLast = buffer.AsSpan().SequenceEqual(last[w][block]);
                    bool isInFlight = wasInFlight && buffer.AsSpan().SequenceEqual(inFlight[w]!.Value.Data);
                    if (n != BlockSize || !(isLast || isInFlight))
                        problems.Add($"file{w} block {block}: {n} bytes, neither the last returned write{(wasInFlight ? " nor the one in flight" : "")}");
                }
            }
            finally { LibC.Close(fd); }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
