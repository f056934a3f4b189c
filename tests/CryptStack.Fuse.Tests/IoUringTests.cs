using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Tests.Harness;

namespace CryptStack.Fuse.Tests;

/// <summary>
/// FUSE over io_uring. The kernel offers it only while root has set the system-wide switch
/// /sys/module/fuse/parameters/enable_uring; test.sh sets it for its second pass (and restores it).
/// The daemon never flips it itself.
/// </summary>
public class IoUringTests
{
    [UringFact]
    public void With_the_kernel_switch_on_requests_are_served_by_one_ring_per_possible_cpu()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", Transport = FuseTransport.Auto });
        byte[] data = new byte[3 << 20];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(m.P("f"), data);
        for (int i = 0; i < 20; i++) File.WriteAllText(m.P("small" + i), "x");
        Directory.CreateDirectory(m.P("d"));
        Assert.Equal(22, Directory.EnumerateFileSystemEntries(m.MountPoint).Count());
        Assert.Equal(data, File.ReadAllBytes(m.P("f")));
        var c = m.Mount.Connection;
        Assert.True(c.Has(FuseInitFlags.OverIoUring), c.ToString());
        Assert.Equal(PossibleCpus(), c.Rings);
        // At least a CREATE, a WRITE and a RELEASE per small file came through the rings.
        Assert.True(c.RingRequests > 60, c.ToString() + $", {c.RingRequests} requests on the rings");
    }

    [UringFact]
    public void The_dev_fuse_transport_can_be_chosen_even_when_io_uring_is_offered()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", Transport = FuseTransport.DevFuse });
        File.WriteAllText(m.P("f"), "x");
        Assert.Equal("x", File.ReadAllText(m.P("f")));
        var c = m.Mount.Connection;
        Assert.False(c.Has(FuseInitFlags.OverIoUring));
        Assert.Equal(0, c.Rings);
        Assert.Equal(0, c.RingRequests);
    }

    [UringOffFact]
    public void Without_the_kernel_switch_io_uring_falls_back_to_dev_fuse()
    {
        using var m = new InProcessMount(new MountOptions { FsName = "memory", Subtype = "memory-test", Transport = FuseTransport.IoUring });
        File.WriteAllText(m.P("f"), "x");
        Assert.Equal("x", File.ReadAllText(m.P("f")));
        Assert.Equal(0, m.Mount.Connection.Rings);
    }

    private static int PossibleCpus()
    {
        string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
        return text.Split(',').Select(r => int.Parse(r.Split('-')[^1])).Max() + 1;
    }
}

/// <summary>A fact that needs the kernel to offer FUSE over io_uring; skipped, with why, otherwise.</summary>
public sealed class UringFactAttribute : FactAttribute
{
    public const string Switch = "/sys/module/fuse/parameters/enable_uring";

    public static bool Enabled => File.Exists(Switch) && File.ReadAllText(Switch).Trim() == "Y";

    public UringFactAttribute()
    {
        if (!File.Exists(Switch)) Skip = "this kernel has no FUSE over io_uring (CONFIG_FUSE_IO_URING)";
        else if (!Enabled) Skip = $"{Switch} is N (test.sh sets it for its io_uring pass)";
    }
}

/// <summary>A fact for the kernel switch being off (the default); skipped during test.sh's io_uring pass.</summary>
public sealed class UringOffFactAttribute : FactAttribute
{
    public UringOffFactAttribute()
    {
        if (UringFactAttribute.Enabled) Skip = $"{UringFactAttribute.Switch} is Y: this is the io_uring pass";
        else if (!File.Exists("/dev/fuse")) Skip = "needs /dev/fuse";
    }
}
