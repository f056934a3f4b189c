using System.Runtime.InteropServices;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>What the daemon's own FUSE protocol implementation gives users that libfuse 3.14 could not.</summary>
public class ProtocolFeatureTests
{
    [Theory]
    [InlineData("encrypted")]
    [InlineData("mirror")]
    public void Shared_writable_mmap_works_with_o_shared(string kind)
    {
        // -o shared turns on direct_io; without FUSE_DIRECT_IO_ALLOW_MMAP such an mmap fails with ENODEV.
        using var m = kind == "mirror" ? TestMount.Mirror("-o", "shared") : TestVolumes.Mount("-o", "shared");
        string path = m.P("mapped");
        const int Length = 3 * 4096;
        File.WriteAllBytes(path, new byte[Length]);
        byte[] patch = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        int fd = LibC.OpenOk(path, LibC.O_RDWR);
        try
        {
            nint map = LibC.MMap(0, Length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            Assert.True(map != -1, $"shared writable mmap: {LibC.Name(LibC.Errno)}");
            Marshal.Copy(patch, 0, map + 100, patch.Length);
            LibC.Check(LibC.MSync(map, Length, LibC.MS_SYNC), "msync");
            LibC.Check(LibC.MUnmap(map, Length), "munmap");
        }
        finally { LibC.Check(LibC.Close(fd), "close"); }
        byte[] expected = new byte[Length];
        patch.CopyTo(expected, 100);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void The_daemon_does_not_load_libfuse()
    {
        using var m = TestMount.Mirror();
        File.WriteAllText(m.P("f"), "x");
        string maps = File.ReadAllText($"/proc/{m.DaemonPid}/maps");
        Assert.DoesNotContain("libfuse", maps);
    }

    [RootFact("FUSE passthrough needs CAP_SYS_ADMIN")]
    public void The_mirror_passes_file_data_through_the_kernel_without_the_daemon()
    {
        using var m = TestMount.Mirror("--debug");
        byte[] data = Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 31)).ToArray();
        File.WriteAllBytes(m.P("f"), data);
        Assert.Equal(data, File.ReadAllBytes(m.P("f")));
        Assert.Equal(data, File.ReadAllBytes(m.B("f")));
        // Two opens of one inode at once share its io mode (the kernel refuses to mix them with EIO).
        using (var a = File.OpenRead(m.P("f")))
        using (var b = new FileStream(m.P("f"), FileMode.Open, FileAccess.ReadWrite))
        {
            b.Write("changed"u8);
            b.Flush();
            var head = new byte[7];
            a.ReadExactly(head);
            Assert.Equal("changed"u8.ToArray(), head);
        }
        string log = LogOnceItHas(m, " Release node ");
        Assert.Contains(" Open node ", log);
        Assert.DoesNotContain(" Read node ", log);
        Assert.DoesNotContain(" Write node ", log);
    }

    [Fact]
    public void Without_passthrough_the_daemon_serves_the_data_and_debug_shows_no_names()
    {
        using var m = TestMount.Mirror("--debug", "-o", "nopassthrough");
        File.WriteAllText(m.P("secret-name"), "secret-content");
        Assert.Equal("secret-content", File.ReadAllText(m.P("secret-name")));
        string log = LogOnceItHas(m, " Read node ");
        Assert.Contains(" Write node ", log);
        Assert.Contains(" Read node ", log);
        Assert.Contains(" Lookup node 1", log);
        Assert.DoesNotContain("secret-name", log);
        Assert.DoesNotContain("secret-content", log);
    }

    [Fact]
    public void Debug_names_adds_names_to_the_request_log()
    {
        using var m = TestMount.Mirror("--debug", "--debug-names");
        File.WriteAllText(m.P("visible-name"), "x");
        Assert.Contains("\"visible-name\"", LogOnceItHas(m, "\"visible-name\""));
    }

    [RootTheory("needs root to mount with allow_other, to chown and to become nobody")]
    [InlineData("encrypted")]
    [InlineData("mirror")]
    public void An_O_TRUNC_open_by_another_user_and_a_chown_clear_setuid_as_on_a_local_filesystem(string kind)
    {
        // With HANDLE_KILLPRIV_V2 the kernel leaves this to the daemon (write and truncate: FilesystemBehaviour).
        using var m = kind == "mirror" ? TestMount.Mirror("-o", "allow_other") : TestVolumes.Mount("-o", "allow_other");
        string truncated = m.P("truncated"), chowned = m.P("chowned");
        foreach (string p in new[] { truncated, chowned }) File.WriteAllText(p, "setuid program");
        LibC.Check(LibC.Chmod(truncated, 0xdff /* 06777 */), "chmod 06777");
        LibC.Check(LibC.Chmod(chowned, 0xded /* 06755 */), "chmod 06755");

        var r = Shell.AsNobody($": > {Shell.Quote(truncated)}");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(0x1ffu, LibC.StatOf(truncated).Permissions);
        Assert.Equal(0, LibC.StatOf(truncated).Size);

        LibC.Check(LibC.Chown(chowned, 65534, 65534), "chown");
        Assert.Equal(0x1edu, LibC.StatOf(chowned).Permissions); // 0755: ext4 clears both (setgid with group exec)
    }

    /// <summary>The daemon's log once it shows <paramref name="text"/> (log lines reach the file a little after the request).</summary>
    private static string LogOnceItHas(TestMount m, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string log;
        while (!(log = m.Log).Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        return log;
    }
}
