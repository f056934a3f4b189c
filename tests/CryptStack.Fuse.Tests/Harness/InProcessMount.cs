namespace CryptStack.Fuse.Tests.Harness;

/// <summary>A <see cref="MemoryFileSystem"/> mounted in this process under TMPDIR; Dispose always unmounts.</summary>
public sealed class InProcessMount : IDisposable
{
    public MemoryFileSystem Fs { get; } = new();
    public FuseMount Mount { get; }
    public string MountPoint { get; }

    public InProcessMount(MountOptions? options = null)
    {
        MountPoint = Path.Combine(Path.GetTempPath(), "cryptstack-fuse-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(MountPoint);
        try
        {
            Mount = FuseMount.Mount(MountPoint, Fs, options ?? new MountOptions { FsName = "memory", Subtype = "memory-test" });
            Assert.True(Mount.Initialized.Wait(TimeSpan.FromSeconds(10)) || Directory.Exists(MountPoint));
            _ = Directory.Exists(Path.Combine(MountPoint, "."));
        }
        catch
        {
            Directory.Delete(MountPoint);
            throw;
        }
    }

    public string P(string name) => Path.Combine(MountPoint, name);

    public bool IsMounted => File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == MountPoint);

    public void Dispose()
    {
        try { Assert.True(Mount.Unmount(TimeSpan.FromSeconds(10)), "the session did not end"); }
        finally
        {
            try { Directory.Delete(MountPoint); } catch (IOException) { }
        }
    }
}

/// <summary>A fact that mounts (root: mount(2) and fusermount3 both work); skipped, with why, without /dev/fuse.</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (!File.Exists("/dev/fuse")) Skip = "needs /dev/fuse (modprobe fuse)";
    }
}
