using System.Text;
using CryptStack.Crypto.Names;
using CryptStack.Mount.Tests.Harness;
using CryptStack.Volume;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Issue 10 item 3 (gocryptfs audit section 2.3): in a format version 2 volume each cs.dirid is bound to its
/// directory, so one copied into another directory is detected; renames and moves stay cheap and survive a crash.
/// </summary>
public class DirectoryIdBindingTests
{
    private static string BackingDirOf(TestMount m, string plainName) =>
        Harness.Cli.RunOk("path", "--passfile", TestVolumes.PassFileOf(m), m.Backing, plainName).StdOut.Split('\n')[0].Trim();

    [Fact]
    public void A_directory_id_copied_into_another_directory_is_detected()
    {
        using var m = TestVolumes.Mount();
        Directory.CreateDirectory(m.P("a"));
        Directory.CreateDirectory(m.P("b"));
        File.WriteAllText(m.P("a/x.txt"), "in a");
        string a = BackingDirOf(m, "a"), b = BackingDirOf(m, "b");
        m.Unmount();
        File.Copy(Path.Combine(a, "cs.dirid"), Path.Combine(b, "cs.dirid"), overwrite: true);
        m.MountAgain();

        Assert.Equal("in a", File.ReadAllText(m.P("a/x.txt")));
        var e = Assert.ThrowsAny<IOException>(() => Directory.GetFiles(m.P("b")));
        Assert.Equal(5, e.HResult & 0xFFFF);
        Assert.Throws<IOException>(() => File.WriteAllText(m.P("b/planted.txt"), "x"));
        Assert.Contains("does not belong to this directory", m.Log);
    }

    [Fact]
    public void Renamed_moved_and_exchanged_directories_keep_their_contents_across_a_remount()
    {
        using var m = TestVolumes.Mount();
        foreach (string d in new[] { "p/d1", "p/d2", "q", "long" })
            Directory.CreateDirectory(m.P(d));
        File.WriteAllText(m.P("p/d1/f"), "one");
        File.WriteAllText(m.P("p/d2/f"), "two");
        Directory.Move(m.P("p/d1"), m.P("q/" + new string('n', 200)));
        Directory.Move(m.P("p/d2"), m.P("p/renamed"));
        Directory.CreateDirectory(m.P("x"));
        File.WriteAllText(m.P("x/f"), "x");
        LibC.Check(LibC.Rename(m.P("x"), m.P("p/renamed"), 2 /* RENAME_EXCHANGE */), "exchange");
        m.Unmount();
        Assert.Empty(Directory.GetFiles(m.Backing, "cs.dirid.pending", SearchOption.AllDirectories));
        m.MountAgain();

        Assert.Equal("one", File.ReadAllText(m.P("q/" + new string('n', 200) + "/f")));
        Assert.Equal("x", File.ReadAllText(m.P("p/renamed/f")));
        Assert.Equal("two", File.ReadAllText(m.P("x/f")));
        Assert.DoesNotContain("does not belong", m.Log);
    }

    [Fact]
    public void A_directory_rename_interrupted_before_its_pending_id_was_committed_is_finished_at_the_next_mount()
    {
        using var m = TestVolumes.Mount();
        Directory.CreateDirectory(m.P("old"));
        File.WriteAllText(m.P("old/f"), "kept");
        string oldBacking = BackingDirOf(m, "old");
        m.Unmount();

        // What a rename that crashed after renameat2 leaves: the directory at its new name, cs.dirid.pending sealed
        // for it, cs.dirid still sealed for the old name.
        using var volume = CryptVolume.Open(m.Backing, VolumeSecret.Passphrase(Encoding.UTF8.GetBytes(TestVolumes.Passphrase)));
        using var names = NameCodec.FromKeys(volume.Keys);
        using var dirIds = DirectoryIdCodec.FromKeys(volume.Keys);
        byte[] rootId = dirIds.Open(File.ReadAllBytes(m.B("cs.dirid")), default, default, "/");
        string newName = names.Encrypt("new"u8, rootId);
        byte[] id = File.ReadAllBytes(Path.Combine(oldBacking, "cs.dirid"))[..16];
        File.WriteAllBytes(Path.Combine(oldBacking, "cs.dirid.pending"), dirIds.Seal(id, rootId, Encoding.ASCII.GetBytes(newName)));
        Directory.Move(oldBacking, m.B(newName));
        m.MountAgain();

        Assert.Equal("kept", File.ReadAllText(m.P("new/f")));
        Assert.Contains("interrupted", m.Log);
        Assert.False(File.Exists(Path.Combine(m.B(newName), "cs.dirid.pending")));
    }

    [Fact]
    public void The_format_version_1_sample_volume_mounts_reads_and_writes_with_version_1_rules()
    {
        string sample = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "keys-sample"));
        using var m = TestMount.Start(
            m => ["mount", m.Backing, m.MountPoint, "--passfile", Path.Combine(sample, "INSECURE-SAMPLE-passphrase.txt")],
            prepare: m => Shell.Run("cp", "-a", Path.Combine(sample, "volume") + "/.", m.Backing));
        Assert.Equal(9598, new FileInfo(m.P("INSECURE SAMPLE file.txt")).Length);
        byte[] content = File.ReadAllBytes(m.P("INSECURE SAMPLE file.txt"));
        Directory.CreateDirectory(m.P("new dir"));
        File.WriteAllText(m.P("new dir/f"), "v1 write");
        Directory.Move(m.P("new dir"), m.P("moved dir"));
        m.Unmount();
        // Version 1 rules: 16-byte ids, no pending files.
        string moved = Harness.Cli.RunOk("path", "--passfile", Path.Combine(sample, "INSECURE-SAMPLE-passphrase.txt"), m.Backing, "moved dir").StdOut.Split('\n')[0].Trim();
        Assert.Equal(16, File.ReadAllBytes(Path.Combine(moved, "cs.dirid")).Length);
        m.MountAgain();
        Assert.Equal(content, File.ReadAllBytes(m.P("INSECURE SAMPLE file.txt")));
        Assert.Equal("v1 write", File.ReadAllText(m.P("moved dir/f")));
        Assert.Contains("directory ids are not bound", m.Log);
    }
}
