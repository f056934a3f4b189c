using System.Diagnostics;
using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Tests.Harness;

namespace CryptStack.Fuse.Tests;

/// <summary>The session against the real kernel: INIT, both ways of mounting, request sizes, forgets and notifications.</summary>
public class SessionTests
{
    private static void WaitUntil(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "timed out waiting for " + what);
            Thread.Sleep(20);
        }
    }

    [MountFact]
    public void Init_takes_the_features_the_stack_relies_on_when_the_kernel_offers_them()
    {
        using var m = new InProcessMount();
        var c = m.Mount.Connection;
        Assert.True(c.KernelMinor >= 31, c.ToString());
        Assert.Equal(Math.Min(c.KernelMinor, 45u), c.Minor);
        foreach (ulong flag in new[]
                 {
                     FuseInitFlags.ParallelDirops, FuseInitFlags.HandleKillprivV2, FuseInitFlags.CacheSymlinks,
                     FuseInitFlags.DirectIoAllowMmap, FuseInitFlags.DoReaddirPlus, FuseInitFlags.ReaddirPlusAuto,
                     FuseInitFlags.MaxPages, FuseInitFlags.AsyncRead, FuseInitFlags.AtomicOTrunc, FuseInitFlags.AutoInvalData,
                 })
            if ((c.Offered & flag) != 0) Assert.True(c.Has(flag), $"{FuseInitFlags.Describe(flag)} offered but not taken: {c}");
        Assert.False(c.Has(FuseInitFlags.WritebackCache), c.ToString());
        Assert.False(c.Has(FuseInitFlags.SpliceRead), c.ToString());
        // Workers ≈ cores: more threads than cores measured slower (docs/fuse-binding.md).
        Assert.Equal(Math.Min(Environment.ProcessorCount, 16), c.Workers);
    }

    [MountFact]
    public void A_mount_through_fusermount3_serves_requests_and_ends_at_unmount()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", UseFusermount = true });
        File.WriteAllText(m.P("hello"), "through fusermount3");
        Assert.Equal("through fusermount3", File.ReadAllText(m.P("hello")));
        Assert.Contains(m.MountPoint, File.ReadAllText("/proc/self/mounts"));
        Assert.True(m.Mount.Unmount(TimeSpan.FromSeconds(10)));
        Assert.False(m.IsMounted);
        Assert.False(m.Mount.IsServing);
    }

    [MountFact]
    public void An_external_unmount_ends_the_session()
    {
        using var m = new InProcessMount();
        var p = Process.Start(new ProcessStartInfo("fusermount3", ["-u", m.MountPoint]) { RedirectStandardError = true })!;
        p.WaitForExit(10_000);
        Assert.True(m.Mount.WaitForUnmountAsync().Wait(TimeSpan.FromSeconds(10)));
    }

    [MountFact]
    public void Direct_io_requests_carry_up_to_one_mebibyte()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", DirectIo = true });
        byte[] data = new byte[4 << 20];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(m.P("big"), data);
        Assert.Equal(data, File.ReadAllBytes(m.P("big")));
        Assert.Equal(1 << 20, m.Fs.LargestWrite);
        Assert.Equal(1 << 20, m.Fs.LargestRead);
    }

    [MountFact]
    public void A_pruned_node_is_forgotten_and_gives_back_every_lookup()
    {
        using var m = new InProcessMount();
        for (int i = 0; i < 20; i++) File.WriteAllText(m.P("f" + i), "x");
        for (int i = 0; i < 20; i++) Assert.True(File.Exists(m.P("f" + i)));
        var nodes = Enumerable.Range(0, 20).Select(i => m.Fs.Find("f" + i)!).ToArray();
        Assert.All(nodes, n => Assert.True(Interlocked.Read(ref n.Lookups) > 0));
        int rc = m.Mount.Prune(nodes.Select(n => n.Id).ToArray());
        Assert.True(rc == 0, $"NOTIFY_PRUNE: {rc}");
        WaitUntil(() => nodes.All(n => Interlocked.Read(ref n.Lookups) == 0), "FORGET of every pruned node");
        Assert.True(m.Fs.ForgetCalls > 0);
        // Looked up again, the node is back with one lookup.
        Assert.True(File.Exists(m.P("f0")));
        Assert.Equal(1, Interlocked.Read(ref nodes[0].Lookups));
    }

    [MountFact]
    public void Invalidating_an_entry_makes_the_kernel_look_it_up_again()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", EntryTimeout = 3600, AttrTimeout = 3600 });
        File.WriteAllText(m.P("x"), "1");
        Assert.True(File.Exists(m.P("x")));
        long before = Interlocked.Read(ref m.Fs.LookupCalls);
        Assert.True(File.Exists(m.P("x")));
        Assert.Equal(before, Interlocked.Read(ref m.Fs.LookupCalls)); // cached for an hour
        Assert.Equal(0, m.Mount.InvalidateEntry(FuseKernel.RootId, "x"u8));
        Assert.True(File.Exists(m.P("x")));
        Assert.Equal(before + 1, Interlocked.Read(ref m.Fs.LookupCalls));
    }

    [MountFact]
    public void Invalidating_an_inode_drops_its_cached_attributes()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", EntryTimeout = 3600, AttrTimeout = 3600 });
        File.WriteAllText(m.P("x"), "1");
        Assert.Equal(1, new FileInfo(m.P("x")).Length);
        var node = m.Fs.Find("x")!;
        node.Data = new byte[7]; // changed behind the kernel's back, as a shared backing store would
        Assert.Equal(1, new FileInfo(m.P("x")).Length);
        Assert.Equal(0, m.Mount.InvalidateInode(node.Id, -1, 0));
        Assert.Equal(7, new FileInfo(m.P("x")).Length);
    }

    [MountFact]
    public void Notifications_about_unknown_nodes_fail_with_ENOENT()
    {
        using var m = new InProcessMount();
        Assert.Equal(-Errno.ENOENT, m.Mount.InvalidateInode(987654, -1, 0));
        Assert.Equal(-Errno.ENOENT, m.Mount.InvalidateEntry(987654, "nothing"u8));
    }
}
