using System.Diagnostics;
using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Damage to the ciphertext is never served as data: the read that touches it fails with EIO,
/// the daemon logs one line naming the file, and the rest of the file stays readable.
/// Each test writes through a mount, damages the backing file while unmounted, mounts again.
/// </summary>
public class EncryptedIntegrityTests
{
    private const int HeaderSize = 84, CipherBlock = 4132, PlainBlock = 4096;

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The one encrypted regular file in the backing root (not the config, dir id or sidecars).</summary>
    private static string CipherFileIn(string backing) =>
        Directory.GetFiles(backing).Single(f =>
        {
            string n = Path.GetFileName(f);
            return !n.StartsWith("cs.", StringComparison.Ordinal) && !n.StartsWith("cryptstack.conf", StringComparison.Ordinal);
        });

    private static TestMount MountWithThreeBlockFile(out byte[] plain)
    {
        var m = TestVolumes.Mount();
        plain = Pattern(3 * PlainBlock, 7);
        File.WriteAllBytes(m.P("victim.bin"), plain);
        m.Unmount();
        return m;
    }

    private static byte[] ReadAt(string path, long offset, int count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[count];
        fs.Position = offset;
        int total = 0;
        while (total < count)
        {
            int n = fs.Read(buffer, total, count - total);
            if (n == 0) break;
            total += n;
        }
        return buffer[..total];
    }

    private static void AssertEio(Action read)
    {
        var e = Assert.ThrowsAny<IOException>(read);
        Assert.Equal(5, e.HResult & 0xFFFF); // EIO, as .NET reports errno in the low bits
    }

    private static void Damage(string file, long offset, Func<byte, byte> change)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        int b = fs.ReadByte();
        fs.Position = offset;
        fs.WriteByte(change((byte)b));
    }

    [Fact]
    public void Read_of_a_block_with_a_flipped_byte_fails_with_EIO_and_other_blocks_stay_readable()
    {
        using var m = MountWithThreeBlockFile(out byte[] plain);
        Damage(CipherFileIn(m.Backing), HeaderSize + CipherBlock + 100, b => (byte)(b ^ 0x01));
        m.MountAgain();

        AssertEio(() => ReadAt(m.P("victim.bin"), PlainBlock, PlainBlock));
        Assert.Equal(plain[..PlainBlock], ReadAt(m.P("victim.bin"), 0, PlainBlock));
        Assert.Equal(plain[(2 * PlainBlock)..], ReadAt(m.P("victim.bin"), 2 * PlainBlock, PlainBlock));
        Assert.Contains("/victim.bin", m.Log);
        Assert.Contains(Path.GetFileName(CipherFileIn(m.Backing)), m.Log);
    }

    [Fact]
    public void Read_of_a_zeroed_block_fails_with_EIO()
    {
        using var m = MountWithThreeBlockFile(out byte[] plain);
        using (var fs = new FileStream(CipherFileIn(m.Backing), FileMode.Open, FileAccess.Write))
        {
            fs.Position = HeaderSize + CipherBlock;
            fs.Write(new byte[CipherBlock]);
        }
        m.MountAgain();
        AssertEio(() => ReadAt(m.P("victim.bin"), PlainBlock, PlainBlock));
        Assert.Equal(plain[..PlainBlock], ReadAt(m.P("victim.bin"), 0, PlainBlock));
    }

    [Fact]
    public void File_cut_at_a_block_boundary_fails_with_EIO_at_its_new_end()
    {
        using var m = MountWithThreeBlockFile(out byte[] plain);
        using (var fs = new FileStream(CipherFileIn(m.Backing), FileMode.Open, FileAccess.Write))
            fs.SetLength(HeaderSize + 2 * CipherBlock);
        m.MountAgain();
        Assert.Equal(2 * PlainBlock, new FileInfo(m.P("victim.bin")).Length);
        AssertEio(() => File.ReadAllBytes(m.P("victim.bin")));
        Assert.Equal(plain[..PlainBlock], ReadAt(m.P("victim.bin"), 0, PlainBlock));
    }

    [Fact]
    public void Swapped_blocks_fail_with_EIO()
    {
        using var m = MountWithThreeBlockFile(out _);
        string file = CipherFileIn(m.Backing);
        byte[] c = File.ReadAllBytes(file);
        byte[] first = c[HeaderSize..(HeaderSize + CipherBlock)];
        c.AsSpan(HeaderSize + CipherBlock, CipherBlock).CopyTo(c.AsSpan(HeaderSize));
        first.CopyTo(c.AsSpan(HeaderSize + CipherBlock));
        File.WriteAllBytes(file, c);
        m.MountAgain();
        AssertEio(() => ReadAt(m.P("victim.bin"), 0, PlainBlock));
        AssertEio(() => ReadAt(m.P("victim.bin"), PlainBlock, PlainBlock));
    }

    [Fact]
    public void Damaged_header_fails_the_open_with_EIO()
    {
        using var m = MountWithThreeBlockFile(out _);
        Damage(CipherFileIn(m.Backing), 40, b => (byte)(b ^ 0x80));
        m.MountAgain();
        AssertEio(() => File.ReadAllBytes(m.P("victim.bin")));
        Assert.Contains("/victim.bin", m.Log);
    }

    [Fact]
    public void Entry_whose_name_fails_authentication_is_left_out_of_the_listing_with_a_log_line()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("kept.txt"), "a");
        File.WriteAllText(m.P("renamed-behind-our-back.txt"), "b");
        m.Unmount();
        string victim = Directory.GetFiles(m.Backing).Select(Path.GetFileName).Where(n => !n!.StartsWith("cs.") && !n.StartsWith("cryptstack.conf"))
            .Select(n => n!).First(n => Decodes(m, n) == "renamed-behind-our-back.txt");
        char[] chars = victim.ToCharArray();
        chars[5] = chars[5] == 'A' ? 'B' : 'A';
        File.Move(Path.Combine(m.Backing, victim), Path.Combine(m.Backing, new string(chars)));
        m.MountAgain();
        Assert.Equal(["kept.txt"], Directory.GetFileSystemEntries(m.MountPoint).Select(Path.GetFileName));
        Assert.Contains("does not decrypt", m.Log);
    }

    // Which backing name is which plaintext name: move each aside and see what disappears.
    private static string Decodes(TestMount m, string backingName)
    {
        m.MountAgain();
        try
        {
            var before = Directory.GetFileSystemEntries(m.MountPoint).Select(Path.GetFileName).ToHashSet();
            m.Unmount();
            File.Move(Path.Combine(m.Backing, backingName), Path.Combine(m.Root, backingName));
            m.MountAgain();
            var after = Directory.GetFileSystemEntries(m.MountPoint).Select(Path.GetFileName).ToHashSet();
            before.ExceptWith(after);
            return before.Single()!;
        }
        finally
        {
            if (m.IsMounted) m.Unmount();
            if (File.Exists(Path.Combine(m.Root, backingName))) File.Move(Path.Combine(m.Root, backingName), Path.Combine(m.Backing, backingName));
        }
    }

    [Fact]
    public void Tampered_symlink_target_fails_readlink_with_EIO()
    {
        using var m = TestVolumes.Mount();
        File.CreateSymbolicLink(m.P("link"), "some/target/path");
        Assert.Equal("some/target/path", new FileInfo(m.P("link")).LinkTarget);
        m.Unmount();
        string link = Directory.GetFileSystemEntries(m.Backing).Single(f => new FileInfo(f).LinkTarget != null);
        string target = new FileInfo(link).LinkTarget!;
        char[] chars = target.ToCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        File.Delete(link);
        File.CreateSymbolicLink(link, new string(chars));
        m.MountAgain();
        // readlink(1), as .NET's LinkTarget does not surface every errno.
        string output = Run("readlink", "-v", m.P("link"));
        Assert.Contains("Input/output error", output);
        Assert.Contains("does not authenticate", m.Log);
    }

    [Fact]
    public void Tampered_xattr_value_fails_with_EIO()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("tagged"), "x");
        Run("setfattr", "-n", "user.colour", "-v", "blue", m.P("tagged"));
        Assert.Contains("blue", Run("getfattr", "-n", "user.colour", m.P("tagged")));
        m.Unmount();
        string backing = CipherFileIn(m.Backing);
        // getfattr -e hex prints NAME=0xHEX; flip the last byte of the stored (encrypted) value.
        string line = Run("getfattr", "-d", "-e", "hex", "-m", "user.cs.", backing)
            .Split('\n').Single(l => l.StartsWith("user.cs.", StringComparison.Ordinal));
        string name = line[..line.IndexOf('=')];
        string hex = line[(line.IndexOf('=') + 3)..].Trim();
        char last = hex[^1] == '0' ? '1' : '0';
        Run("setfattr", "-n", name, "-v", "0x" + hex[..^1] + last, backing);
        m.MountAgain();
        Assert.Contains("Input/output error", Run("getfattr", "-n", "user.colour", m.P("tagged")));
        Assert.Contains("does not authenticate", m.Log);
    }

    [Fact]
    public void Backing_directory_holds_no_plaintext_content_name_link_target_or_xattr()
    {
        using var m = TestVolumes.Mount();
        const string marker = "PLAINTEXTMARKER";
        Directory.CreateDirectory(m.P(marker + "-dir"));
        File.WriteAllText(m.P(marker + "-dir/" + marker + "-file"), string.Concat(Enumerable.Repeat(marker, 1000)));
        File.CreateSymbolicLink(m.P(marker + "-link"), marker + "-target");
        File.WriteAllText(m.P(new string('L', 240) + marker), marker);
        Run("setfattr", "-n", "user." + marker, "-v", marker + "-value", m.P(marker + "-dir/" + marker + "-file"));
        Assert.Contains(marker + "-value", Run("getfattr", "-n", "user." + marker, m.P(marker + "-dir/" + marker + "-file")));
        m.Unmount();

        foreach (string path in Directory.EnumerateFileSystemEntries(m.Backing, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(marker, path);
            var info = new FileInfo(path);
            if (info.LinkTarget is { } t) Assert.DoesNotContain(marker, t);
            else if (File.Exists(path)) Assert.DoesNotContain(marker, Encoding.Latin1.GetString(File.ReadAllBytes(path)));
            Assert.DoesNotContain(marker, Run("getfattr", "-h", "-d", "-m", "-", path));
        }
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
