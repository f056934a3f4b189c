using System.Runtime.CompilerServices;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>
/// POSIX behaviour any CryptStack mount must show at its mount point, checked only through
/// ordinary syscalls. A subclass says how to make the mount; everything else is shared, so the
/// mirror and the encrypted mount are held to the same suite. Expected values that depend on
/// the backing filesystem come from doing the same thing in a plain directory.
///
/// The tests of one class share one mount (a class fixture); each works in its own
/// subdirectory. Tests that end or reconfigure a mount make their own.
/// </summary>
public abstract partial class FilesystemBehaviour : IClassFixture<SharedMount>, IDisposable
{
    private readonly SharedMount _shared;
    private readonly List<string> _scratch = [];
    private TestMount? _mount;

    protected FilesystemBehaviour(SharedMount shared) => _shared = shared;

    /// <summary>Mounts this kind of filesystem over a fresh backing directory; <paramref name="extraArgs"/> are CLI arguments such as "-o", "ro".</summary>
    protected abstract TestMount CreateMount(params string[] extraArgs);

    /// <summary>The mount shared by this class's tests.</summary>
    protected TestMount Mount => _mount ??= _shared.Get(() => CreateMount());

    /// <summary>A fresh, empty directory on the shared mount, named for the test.</summary>
    protected string NewDir(string? suffix = null, [CallerMemberName] string test = "")
    {
        string dir = Mount.P(suffix == null ? test : test + "-" + suffix);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A fresh directory on the plain filesystem the backing directory lives on: the reference.</summary>
    protected string PlainDir()
    {
        string dir = TestMount.NewScratchDirectory();
        _scratch.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (string dir in _scratch)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Deterministic bytes that differ at every offset and between seeds.</summary>
    protected static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    protected static byte[] ReadAll(string path)
    {
        int fd = LibC.OpenOk(path, LibC.O_RDONLY);
        try { return LibC.PReadAll(fd, 0, checked((int)LibC.FStatOf(fd).Size)); }
        finally { LibC.Close(fd); }
    }

    protected static void WriteAll(string path, ReadOnlySpan<byte> data, uint mode = 0x1a4)
    {
        int fd = LibC.OpenOk(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, mode);
        try { LibC.PWriteAll(fd, data, 0); }
        finally { LibC.Check(LibC.Close(fd), "close"); }
    }

    /// <summary>Asserts that a call failed with <paramref name="expected"/>.</summary>
    protected static void AssertErrno(int expected, long rc, string what)
    {
        int actual = LibC.ErrnoOf(rc);
        Assert.True(actual == expected, $"{what}: expected {LibC.Name(expected)}, got {(rc >= 0 ? "success" : LibC.Name(actual))}");
    }

    protected static void AssertOk(long rc, string what)
    {
        Assert.True(rc >= 0, $"{what}: failed with {LibC.Name(LibC.Errno)}");
    }
}
