using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

// INIT: what we ask of the kernel, and why (docs/fuse-binding.md has the measurements).
internal sealed unsafe partial class FuseSession
{
    /// <summary>What the kernel offered in INIT (flags | flags2 &lt;&lt; 32).</summary>
    public ulong Offered { get; private set; }
    /// <summary>What we took of it.</summary>
    public ulong Taken { get; private set; }
    public uint KernelMinor { get; private set; }
    public uint Minor { get; private set; }

    /// <summary>Fires once INIT is answered (the mount is usable from then on).</summary>
    public event Action? Initialized;

    /// <summary>The features we use when offered.</summary>
    public ulong Wanted
    {
        get
        {
            ulong want =
                FuseInitFlags.AsyncRead |          // readahead in parallel with the reader
                FuseInitFlags.AtomicOTrunc |       // O_TRUNC reaches open: the content layer truncates in its own terms
                FuseInitFlags.BigWrites |
                FuseInitFlags.AutoInvalData |      // cached pages dropped when mtime/size change (keep_cache is then safe)
                FuseInitFlags.DoReaddirPlus |
                FuseInitFlags.ReaddirPlusAuto |    // the kernel asks for plus only when it will use the attributes
                FuseInitFlags.AsyncDio |
                FuseInitFlags.ParallelDirops |     // lookups and readdir in one directory run in parallel
                FuseInitFlags.MaxPages |           // 1 MiB requests
                FuseInitFlags.HandleKillprivV2 |   // no GETXATTR security.capability before every write; we clear suid/sgid
                FuseInitFlags.DirectIoAllowMmap |  // shared writable mmap on direct_io files (-o shared)
                FuseInitFlags.InitExt;
            if (Options.Transport != FuseTransport.DevFuse) want |= FuseInitFlags.OverIoUring;
            if (PassthroughWanted) want |= FuseInitFlags.Passthrough;
            // A symlink never changes its target; cache it unless the backing is shared with other hosts.
            if (Options.AttrTimeout > 0) want |= FuseInitFlags.CacheSymlinks;
            // Splice (measured slower here), writeback cache (would turn passthrough off and reorders
            // writes the content layer must see in order), DONT_MASK (the kernel applies the umask),
            // POSIX locks (the kernel keeps them locally) and EXPORT_SUPPORT stay off.
            return want;
        }
    }

    public FuseInitOut Negotiate(FuseInitIn* init)
    {
        var reply = new FuseInitOut { Major = FuseKernel.Version, Minor = FuseKernel.MinorVersion };
        // A newer major: answer ours and the kernel sends INIT again (fuse.h, "Version negotiation").
        if (init->Major != FuseKernel.Version) return reply;
        ulong offered = init->Flags;
        if ((offered & FuseInitFlags.InitExt) != 0) offered |= (ulong)init->Flags2 << 32;
        ulong taken = Wanted & offered;
        Offered = offered;
        Taken = taken;
        KernelMinor = init->Minor;
        Minor = Math.Min(init->Minor, FuseKernel.MinorVersion);

        reply.Minor = Minor;
        reply.MaxReadahead = init->MaxReadahead;
        reply.Flags = (uint)taken;
        reply.Flags2 = (uint)(taken >> 32);
        reply.MaxWrite = MaxPayload;
        reply.TimeGran = 1;
        reply.MaxPages = MaxPayload / 4096;
        // Passthrough stays off unless the stacking depth is 1 or 2 (0 means no passthrough); our backing
        // files are on ordinary filesystems (depth 0), so 1.
        if ((taken & FuseInitFlags.Passthrough) != 0) reply.MaxStackDepth = 1;
        Initialized?.Invoke();
        return reply;
    }

    public bool Has(ulong flag) => (Taken & flag) != 0;

    /// <summary>After the INIT reply is out: the rings may register only now (the kernel refuses them before).</summary>
    internal void InitReplied()
    {
        if (Has(FuseInitFlags.OverIoUring)) StartRings();
        else if (Options.Transport == FuseTransport.IoUring)
            Debug?.Note("io_uring asked for but not offered by the kernel (root sets /sys/module/fuse/parameters/enable_uring): serving on /dev/fuse");
    }
}
