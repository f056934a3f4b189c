using System.Net.Sockets;
using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// A ciphertext directory rearranged by an attacker (issue 10 item 2, issue 14 "hostile backing directory"):
/// FIFOs, sockets, devices and symlinks out of CIPHERDIR in place of the format's own files and of regular
/// files, foreign names, impossible sizes. The daemon never blocks, never reads outside CIPHERDIR, never
/// crashes: each case is EIO or left out of the listing, with a log line. Every command runs in a child
/// process with a deadline; if it blocks, the test opens the planted FIFOs to free the daemon, then fails.
/// </summary>
public class HostileBackingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>What can be planted in place of a file the format expects.</summary>
    public enum Plant { Fifo, Socket, Device, SymlinkOut }

    private static readonly Plant[] AllPlants = [Plant.Fifo, Plant.Socket, Plant.Device, Plant.SymlinkOut];

    /// <summary>Replaces <paramref name="path"/> by <paramref name="plant"/>; a symlink points to a copy of the real file outside the backing directory.</summary>
    private static void PlantAt(string path, Plant plant, string outside)
    {
        string copy = Path.Combine(outside, Guid.NewGuid().ToString("N"));
        File.Copy(path, copy);
        File.Delete(path);
        switch (plant)
        {
            case Plant.Fifo:
                LibC.Check(LibC.MkFifo(path, 0x1b6), "mkfifo");
                break;
            case Plant.Socket:
                using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
                    s.Bind(new UnixDomainSocketEndPoint(path));
                break;
            case Plant.Device:
                // /dev/null's numbers: harmless if the daemon did open it, and reading it yields nothing valid.
                LibC.Check(LibC.MkNod(path, 0x2000 | 0x1b6, LibC.MakeDev(1, 3)), "mknod");
                break;
            case Plant.SymlinkOut:
                // The copy outside is the genuine file: following the link would make the entry work.
                LibC.Check(LibC.Symlink(copy, path), "symlink");
                break;
        }
    }

    /// <summary>Runs a command with a deadline; if it blocks, frees the daemon by opening the FIFOs, then fails.</summary>
    private static Shell.Result Bounded(string[] fifos, string file, params string[] args)
    {
        try { return Shell.Run(file, args, Deadline); }
        catch (TimeoutException)
        {
            foreach (string f in fifos)
            {
                int fd = LibC.Open(f, 0x2 | 0x800 /* O_RDWR|O_NONBLOCK */);
                if (fd >= 0) LibC.Close(fd);
            }
            Assert.Fail($"{file} {string.Join(' ', args)} blocked for {Deadline.TotalSeconds} s on a planted special file");
            throw;
        }
    }

    private static string[] FifosUnder(string backing) =>
        Directory.EnumerateFileSystemEntries(backing, "*", SearchOption.AllDirectories)
            .Where(p => (LibC.LStatOf(p).Mode & 0xF000) == 0x1000).ToArray();

    private static string Outside(TestMount m)
    {
        string dir = Path.Combine(m.Root, "outside");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [RootFact("mknod of a device node")]
    public void Special_file_or_symlink_out_planted_as_a_directory_id_is_EIO_not_a_hang()
    {
        using var m = TestVolumes.Mount();
        foreach (var plant in AllPlants)
        {
            Directory.CreateDirectory(m.P($"d-{plant}"));
            File.WriteAllText(m.P($"d-{plant}/inside.txt"), "secret");
        }
        var dirs = AllPlants.ToDictionary(p => p, p => BackingDirOf(m, $"d-{p}"));
        m.Unmount();
        foreach (var plant in AllPlants) PlantAt(Path.Combine(dirs[plant], "cs.dirid"), plant, Outside(m));
        m.MountAgain();

        foreach (var plant in AllPlants)
        {
            var ls = Bounded(FifosUnder(m.Backing), "ls", m.P($"d-{plant}"));
            Assert.True(ls.ExitCode != 0, $"{plant}: ls of a directory whose id is a {plant} succeeded: {ls}");
            Assert.Contains("Input/output error", ls.StdErr);
        }
        Assert.Contains("not a regular file", m.Log);
        // The rest of the volume still works, and the daemon is alive.
        File.WriteAllText(m.P("after.txt"), "ok");
        Assert.Equal("ok", File.ReadAllText(m.P("after.txt")));
        Assert.True(TestMount.ProcessAlive(m.DaemonPid));
    }

    [RootFact("mknod of a device node")]
    public void Special_file_or_symlink_out_planted_as_a_long_name_sidecar_is_left_out_of_the_listing()
    {
        using var m = TestVolumes.Mount();
        foreach (var plant in AllPlants) File.WriteAllText(m.P(new string('L', 150) + plant), "long");
        File.WriteAllText(m.P("short.txt"), "short");
        m.Unmount();
        string[] sidecars = Directory.GetFiles(m.Backing, "cs.lng.*.name");
        Assert.Equal(AllPlants.Length, sidecars.Length);
        for (int i = 0; i < sidecars.Length; i++) PlantAt(sidecars[i], AllPlants[i], Outside(m));
        m.MountAgain();

        var ls = Bounded(FifosUnder(m.Backing), "ls", "-a", m.MountPoint);
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["short.txt"], ls.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n != "." && n != ".."));
        Assert.Contains("not a regular file", m.Log);
        Assert.True(TestMount.ProcessAlive(m.DaemonPid));
    }

    [RootFact("mknod of a device node")]
    public void Special_file_or_symlink_out_planted_as_a_link_target_sidecar_fails_readlink_with_EIO()
    {
        using var m = TestVolumes.Mount();
        string target = "/" + new string('t', 3500);
        foreach (var plant in AllPlants) LibC.Check(LibC.Symlink(target, m.P($"link-{plant}")), "symlink");
        m.Unmount();
        string[] sidecars = Directory.GetFiles(m.Backing, "*.lnk");
        Assert.Equal(AllPlants.Length, sidecars.Length);
        for (int i = 0; i < sidecars.Length; i++) PlantAt(sidecars[i], AllPlants[i], Outside(m));
        m.MountAgain();

        foreach (var plant in AllPlants)
        {
            var r = Bounded(FifosUnder(m.Backing), "readlink", m.P($"link-{plant}"));
            Assert.True(r.ExitCode != 0, $"{plant}: readlink through a planted sidecar succeeded");
        }
        Assert.Contains("not a regular file", m.Log);
        Assert.True(TestMount.ProcessAlive(m.DaemonPid));
    }

    [Fact]
    public void A_FIFO_or_symlink_in_place_of_the_config_fails_the_mount_with_a_message_instead_of_hanging()
    {
        using var m = TestVolumes.Mount();
        m.Unmount();
        string config = m.B("cryptstack.conf");
        foreach (var plant in new[] { Plant.Fifo, Plant.SymlinkOut })
        {
            string saved = Path.Combine(m.Root, "saved.conf");
            File.Copy(config, saved, overwrite: true);
            PlantAt(config, plant, Outside(m));
            var r = Bounded([config], Harness.Cli.Executable, "mount", m.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(m));
            Assert.True(r.ExitCode != 0, $"{plant}: mount over a planted config succeeded");
            Assert.Contains("not a regular file", r.StdErr + r.StdOut);
            File.Delete(config);
            File.Copy(saved, config);
        }
        m.MountAgain();
        Assert.True(m.IsMounted);
    }

    [Fact]
    public void A_huge_sparse_file_or_sidecar_is_EIO_or_left_out_quickly()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("huge.bin"), "small");
        File.WriteAllText(m.P(new string('L', 150)), "long");
        m.Unmount();
        string file = Directory.GetFiles(m.Backing).Single(f => !Path.GetFileName(f).StartsWith("cs.") && !Path.GetFileName(f).StartsWith("cryptstack"));
        LibC.Check(LibC.Truncate(file, 1L << 43), "truncate");
        string sidecar = Directory.GetFiles(m.Backing, "cs.lng.*.name").Single();
        LibC.Check(LibC.Truncate(sidecar, 1L << 30), "truncate");
        m.MountAgain();

        var ls = Bounded([], "ls", m.MountPoint);
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["huge.bin"], ls.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var cat = Bounded([], "dd", $"if={m.P("huge.bin")}", "of=/dev/null", "bs=4096", "count=1");
        Assert.True(cat.ExitCode != 0, "reading a file cut to an impossible size succeeded: " + cat);
        Assert.Contains("Input/output error", cat.StdErr);
        Assert.Contains("larger than any valid one", m.Log);
        Assert.True(TestMount.ProcessAlive(m.DaemonPid));
    }

    [Fact]
    public void Foreign_names_with_invalid_encodings_are_left_out_with_a_log_line()
    {
        using var m = TestVolumes.Mount();
        File.WriteAllText(m.P("kept.txt"), "kept");
        m.Unmount();
        // A name that is not UTF-8 and not base64url, as a sync tool or another OS may leave.
        byte[] name = [.. Encoding.ASCII.GetBytes(m.Backing + "/bad-"), 0xff, 0xfe, (byte)'x'];
        int fd = LibC.Open(Encoding.Latin1.GetString(name), 0x41 /* O_WRONLY|O_CREAT */, 0x1a4);
        Assert.True(fd >= 0);
        LibC.Close(fd);
        m.MountAgain();

        var ls = Bounded([], "ls", m.MountPoint);
        Assert.Equal(0, ls.ExitCode);
        Assert.Equal(["kept.txt"], ls.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("was not written by CryptStack", m.Log);
    }

    private static string BackingDirOf(TestMount m, string plainName) =>
        Harness.Cli.RunOk("path", "--passfile", TestVolumes.PassFileOf(m), m.Backing, plainName).StdOut.Split('\n')[0].Trim();
}
