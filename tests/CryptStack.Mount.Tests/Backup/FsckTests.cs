using System.Diagnostics;
using CryptStack.Mount.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>
/// `cryptstack fsck` finds, without a mount, every kind of damage the mount turns into EIO or hides (the tamper cases
/// of <see cref="EncryptedIntegrityTests"/> and of the backup tests), and what the mount cannot see at all: orphaned
/// sidecars, a lost directory id, entries moved between directories, stray temporary files, impossible sizes. Each
/// problem is named by its ciphertext path (and plaintext path where there is one), once.
/// </summary>
public sealed class FsckTests
{
    private const int HeaderSize = 84, CipherBlock = 4132, PlainBlock = 4096;

    internal static CliRunner.Result Fsck(TestMount m, params string[] extra) =>
        CliRunner.Run(["fsck", m.Backing, "--passfile", TestVolumes.PassFileOf(m), "--quiet", .. extra], timeout: TimeSpan.FromMinutes(3));

    internal static string CipherPathOf(TestMount m, string plain) => OfflineRestoreTests.CipherPathOf(m, plain);

    private static void FlipByte(string file, long offset)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        int b = fs.ReadByte();
        fs.Position = offset;
        fs.WriteByte((byte)(b ^ 0x01));
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

    /// <summary>A tree where each file below is damaged in one way after it was written through the mount.</summary>
    internal static TestMount DamagedVolume(out Dictionary<string, string> expected)
    {
        var m = TestVolumes.Mount();
        var data = new byte[3 * PlainBlock];
        new Random(7).NextBytes(data);
        foreach (string name in new[] { "flipped.bin", "zeroed.bin", "cut.bin", "swapped.bin", "header.bin", "impossible.bin", "fine.bin" })
            File.WriteAllBytes(m.P(name), data);
        File.WriteAllText(m.P("renamed.txt"), "name will not decrypt");
        File.CreateSymbolicLink(m.P("link"), "some/target/path");
        File.WriteAllText(m.P("tagged"), "x");
        Directory.CreateDirectory(m.P("lost-id"));
        File.WriteAllText(m.P("lost-id/inside.txt"), "in a directory whose id is lost");
        Directory.CreateDirectory(m.P("from"));
        Directory.CreateDirectory(m.P("to"));
        File.WriteAllText(m.P("from/moved.txt"), "moved in the ciphertext");
        string longName = new string('l', 200);
        File.WriteAllText(m.P(longName), "long name, sidecar lost");
        string gone = new string('g', 200);
        File.WriteAllText(m.P(gone), "entry lost, sidecar left");
        File.CreateSymbolicLink(m.P("long-link"), "../" + new string('t', 3500));
        Run("setfattr", "-n", "user.colour", "-v", "blue", m.P("tagged"));
        m.Unmount();
        Assert.Equal(0, Fsck(m).ExitCode);

        expected = [];
        string P(string plain) => CipherPathOf(m, plain);
        string flipped = P("flipped.bin"), zeroed = P("zeroed.bin"), cut = P("cut.bin"), swapped = P("swapped.bin"), header = P("header.bin"),
            impossible = P("impossible.bin"), renamed = P("renamed.txt"), link = P("link"), tagged = P("tagged"), lostId = P("lost-id"),
            moved = P("from/moved.txt"), to = P("to"), longPath = P(longName), gonePath = P(gone), longLink = P("long-link");

        FlipByte(flipped, HeaderSize + CipherBlock + 100);
        expected[flipped] = "/flipped.bin";
        using (var fs = new FileStream(zeroed, FileMode.Open, FileAccess.Write))
        {
            fs.Position = HeaderSize + CipherBlock;
            fs.Write(new byte[CipherBlock]);
        }
        expected[zeroed] = "/zeroed.bin";
        using (var fs = new FileStream(cut, FileMode.Open, FileAccess.Write)) fs.SetLength(HeaderSize + 2 * CipherBlock);
        expected[cut] = "/cut.bin";
        byte[] c = File.ReadAllBytes(swapped);
        byte[] first = c[HeaderSize..(HeaderSize + CipherBlock)];
        c.AsSpan(HeaderSize + CipherBlock, CipherBlock).CopyTo(c.AsSpan(HeaderSize));
        first.CopyTo(c.AsSpan(HeaderSize + CipherBlock));
        File.WriteAllBytes(swapped, c);
        expected[swapped] = "/swapped.bin";
        FlipByte(header, 40);
        expected[header] = "/header.bin";
        using (var fs = new FileStream(impossible, FileMode.Open, FileAccess.Write)) fs.SetLength(HeaderSize + 2 * CipherBlock + 20);
        expected[impossible] = "impossible";

        string renamedName = Path.GetFileName(renamed);
        string bad = Path.Combine(m.Backing, renamedName[..5] + (renamedName[5] == 'A' ? 'B' : 'A') + renamedName[6..]);
        File.Move(renamed, bad);
        expected[bad] = "does not decrypt";

        string target = new FileInfo(link).LinkTarget!;
        char[] chars = target.ToCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        File.Delete(link);
        File.CreateSymbolicLink(link, new string(chars));
        expected[link] = "/link";

        string line = Run("getfattr", "-d", "-e", "hex", "-m", "user.cs.", tagged).Split('\n').Single(l => l.StartsWith("user.cs.", StringComparison.Ordinal));
        string xname = line[..line.IndexOf('=')], hex = line[(line.IndexOf('=') + 3)..].Trim();
        Run("setfattr", "-n", xname, "-v", "0x" + hex[..^1] + (hex[^1] == '0' ? '1' : '0'), tagged);
        expected[tagged] = "/tagged";

        File.Delete(Path.Combine(lostId, "cs.dirid"));
        expected[Path.Combine(lostId, "cs.dirid")] = "1 entry inside cannot be decrypted";

        string movedTo = Path.Combine(to, Path.GetFileName(moved));
        File.Move(moved, movedTo);
        expected[movedTo] = "decrypts as \"moved.txt\" under the directory id of /from";

        File.Delete(longPath + ".name");
        expected[longPath] = "sidecar";
        File.Delete(gonePath);
        expected[gonePath + ".name"] = "long-name sidecar without its entry";
        File.Delete(longLink);
        expected[longLink + ".lnk"] = "link-target sidecar without its symlink";

        File.WriteAllText(Path.Combine(m.Backing, "cryptstack.conf.tmp"), "");
        expected[Path.Combine(m.Backing, "cryptstack.conf.tmp")] = "temporary file";
        File.WriteAllText(Path.Combine(m.Backing, "notes (conflicted copy).txt"), "foreign");
        expected[Path.Combine(m.Backing, "notes (conflicted copy).txt")] = "not a name CryptStack writes";
        File.WriteAllText(Path.Combine(to, "cs.strange"), "reserved");
        expected[Path.Combine(to, "cs.strange")] = "reserved for CryptStack";
        File.Delete(m.B("cryptstack.conf.bak"));
        expected[m.B("cryptstack.conf.bak")] = "missing";
        return m;
    }

    [Fact]
    public void Every_damage_kind_the_mount_turns_into_EIO_or_hides_is_named_once_by_its_ciphertext_path()
    {
        using var m = DamagedVolume(out var expected);
        var r = Fsck(m);
        Assert.True(r.ExitCode == 26, $"exit {r.ExitCode}: {r.StdErr}{r.StdOut}");
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("note: ")).ToList();
        foreach (var (cipher, words) in expected)
        {
            var hits = lines.Where(l => l.Contains(cipher + ":", StringComparison.Ordinal) || l.Contains(cipher + ")", StringComparison.Ordinal)).ToList();
            Assert.True(hits.Count == 1, $"{cipher} ({words}) reported {hits.Count} times:\n{r.StdErr}");
            Assert.Contains(words, hits[0]);
        }
        Assert.Equal(expected.Count, lines.Count);
        Assert.DoesNotContain(lines, l => l.Contains("/fine.bin"));
        // The mount still agrees about the file it can read.
        m.MountAgain();
        Assert.Equal(3 * PlainBlock, File.ReadAllBytes(m.P("fine.bin")).Length);
    }

    [Fact]
    public void A_fresh_volume_and_the_sample_volume_are_clean()
    {
        using var m = TestVolumes.Mount();
        OfflineRestoreTests.WriteEverything(m);
        m.Unmount();
        var r = Fsck(m);
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Equal("", r.StdErr);
        var loud = CliRunner.Run(["fsck", m.Backing, "--passfile", TestVolumes.PassFileOf(m)]);
        Assert.Equal(0, loud.ExitCode);
        Assert.Contains("no problems found", loud.StdOut);
        Assert.Contains("keyslot 0 (passphrase) opens with the given secret", loud.StdErr);

        string sample = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "keys-sample"));
        string copy = Path.Combine(m.Root, "sample");
        Assert.Equal(0, Shell.Run("cp", "-a", Path.Combine(sample, "volume"), copy).ExitCode);
        foreach (string[] secret in new[] { new[] { "--passfile", Path.Combine(sample, "INSECURE-SAMPLE-passphrase.txt") },
                     ["--recovery-file", Path.Combine(sample, "INSECURE-SAMPLE-recovery-key.txt")] })
        {
            var s = CliRunner.Run(["fsck", copy, "--quiet", .. secret]);
            Assert.True(s.ExitCode == 0, s.StdErr + s.StdOut);
        }
    }

    [Fact]
    public void Fsck_that_cannot_run_exits_with_the_reason_not_with_problems_found()
    {
        using var m = TestVolumes.Mount();
        m.Unmount();
        string wrong = Path.Combine(m.Root, "wrong");
        File.WriteAllText(wrong, "not the passphrase\n");
        Assert.Equal(10, CliRunner.Run(["fsck", m.Backing, "--passfile", wrong]).ExitCode);
        Assert.Equal(11, CliRunner.Run(["fsck", m.Root, "--passfile", wrong]).ExitCode);
        var help = CliRunner.Run(["fsck", "--help"]);
        Assert.Contains("26 problems found", help.StdOut);
    }

    [Fact]
    public void Repair_moves_what_does_not_decrypt_to_lost_and_found_fixes_the_config_files_and_deletes_nothing()
    {
        using var m = DamagedVolume(out var expected);
        long bytesBefore = BackingBytes(m.Backing);
        var r = Fsck(m, "--repair");
        Assert.True(r.ExitCode == 26, $"exit {r.ExitCode}: {r.StdErr}");
        Assert.Contains("cryptstack.conf.tmp: temporary file of an interrupted config save (0 bytes); cryptstack.conf itself was not replaced by it; repaired: removed (it was empty)", r.StdErr);
        Assert.Contains("cryptstack.conf.bak: missing (the config's backup copy); repaired: rewritten as a copy of cryptstack.conf", r.StdErr);
        Assert.Contains("repaired: moved to /lost+found/moved.txt", r.StdErr);
        Assert.Contains("no id decrypts its names: its 1 entries moved to /lost+found", r.StdErr);
        Assert.False(File.Exists(m.B("cryptstack.conf.tmp")));
        Assert.Equal(File.ReadAllBytes(m.B("cryptstack.conf")), File.ReadAllBytes(m.B("cryptstack.conf.bak")));
        // Nothing but the empty temporary file went away: the bytes only grew (lost+found, sidecars, the new ids).
        Assert.True(BackingBytes(m.Backing) >= bytesBefore);

        // What is left is what cannot be repaired safely: damaged contents, orphaned sidecars, a stray reserved file.
        var again = Fsck(m);
        Assert.Equal(26, again.ExitCode);
        Assert.DoesNotContain("an entry of", again.StdErr);
        Assert.DoesNotContain("directory id", again.StdErr);
        Assert.Contains("/flipped.bin", again.StdErr);
        Assert.Contains("long-name sidecar without its entry", again.StdErr);

        m.MountAgain();
        var lost = Directory.GetFileSystemEntries(m.P("lost+found")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal("moved in the ciphertext", File.ReadAllText(m.P("lost+found/moved.txt")));
        Assert.Contains("name will not decrypt", lost.Select(n => File.Exists(m.P("lost+found/" + n)) ? SafeRead(m.P("lost+found/" + n)) : ""));
        Assert.Contains("in a directory whose id is lost", lost.Select(n => File.Exists(m.P("lost+found/" + n)) ? SafeRead(m.P("lost+found/" + n)) : ""));
        Assert.Contains("long name, sidecar lost", lost.Select(n => File.Exists(m.P("lost+found/" + n)) ? SafeRead(m.P("lost+found/" + n)) : ""));
        Assert.Empty(Directory.GetFileSystemEntries(m.P("lost-id")));
        File.WriteAllText(m.P("lost-id/new.txt"), "the directory works again");
    }

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
    }

    private static long BackingBytes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).LinkTarget == null ? new FileInfo(f).Length : 0);

    [Fact]
    public void Repair_recreates_a_lost_directory_id_that_a_copy_proves_and_gives_an_empty_directory_a_new_one()
    {
        using var m = TestVolumes.Mount();
        Directory.CreateDirectory(m.P("dir"));
        Directory.CreateDirectory(m.P("empty"));
        for (int i = 0; i < 3; i++) File.WriteAllText(m.P($"dir/f{i}"), $"file {i}");
        m.Unmount();
        string dir = CipherPathOf(m, "dir"), empty = CipherPathOf(m, "empty");
        File.Move(Path.Combine(dir, "cs.dirid"), Path.Combine(dir, "cs.dirid.sync-conflict-20261203"));
        File.Delete(Path.Combine(empty, "cs.dirid"));
        Assert.Equal(26, Fsck(m).ExitCode);

        var r = Fsck(m, "--repair");
        Assert.Contains("repaired: cs.dirid rewritten with the id under which all 3 names decrypt", r.StdErr);
        Assert.Contains("repaired: a new directory id written", r.StdErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "cs.dirid.sync-conflict-20261203")), File.ReadAllBytes(Path.Combine(dir, "cs.dirid")));
        // The conflict copy stays (nothing is deleted); it is the one problem left.
        var again = Fsck(m);
        Assert.Equal(26, again.ExitCode);
        Assert.Single(again.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        m.MountAgain();
        Assert.Equal("file 2", File.ReadAllText(m.P("dir/f2")));
        File.WriteAllText(m.P("empty/x"), "works");
    }

    [Fact]
    public void Repair_of_everything_it_found_exits_27_and_the_volume_is_then_clean()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("a"), "a");
        m.Unmount();
        File.Delete(m.B("cs.recovery"));
        File.WriteAllBytes(m.B("cryptstack.conf.bak.tmp"), File.ReadAllBytes(m.B("cryptstack.conf.bak")));
        File.WriteAllText(m.B("cryptstack.conf"), "{ damaged");
        var r = Fsck(m, "--repair");
        Assert.True(r.ExitCode == 27, $"exit {r.ExitCode}: {r.StdErr}");
        Assert.Contains("repaired: restored from cryptstack.conf.bak (the damaged file kept as cryptstack.conf.damaged)", r.StdErr);
        Assert.Contains("repaired: removed (identical to cryptstack.conf.bak)", r.StdErr);
        Assert.True(File.Exists(m.B("cs.recovery")));
        Assert.Equal("{ damaged", File.ReadAllText(m.B("cryptstack.conf.damaged")));
        Assert.Equal(0, Fsck(m).ExitCode);
    }
}
