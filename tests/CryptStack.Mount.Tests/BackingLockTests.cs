using System.Diagnostics;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Issue 10 item 5: a backing filesystem that refuses the OFD locks our writers take. The backing filesystem
/// here is Tools/nolock-fs.py, a loopback FUSE filesystem (Debian python3-fusepy) whose lock operation answers
/// ENOLCK, as NFS without a lock manager does: locks on it really fail.
/// </summary>
public class BackingLockTests
{
    private sealed class NoLockFs : IDisposable
    {
        public string Root { get; } = TestMount.NewScratchDirectory();
        public string Store => Path.Combine(Root, "store");
        public string Mnt => Path.Combine(Root, "nolock");
        private readonly Process _process;

        public NoLockFs()
        {
            Directory.CreateDirectory(Store);
            Directory.CreateDirectory(Mnt);
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tools", "nolock-fs.py"));
            psi.ArgumentList.Add(Store);
            psi.ArgumentList.Add(Mnt);
            _process = Process.Start(psi)!;
            var sw = Stopwatch.StartNew();
            while (!File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == Mnt))
            {
                if (_process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(20))
                    throw new InvalidOperationException("nolock-fs did not mount: " + _process.StandardError.ReadToEnd());
                Thread.Sleep(50);
            }
        }

        public void Dispose()
        {
            Shell.Run("fusermount3", "-u", Mnt);
            if (!_process.WaitForExit(10_000)) _process.Kill();
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Reported as skipped, with why, where the refusing filesystem cannot run.</summary>
    public sealed class NoLockFsFactAttribute : FactAttribute
    {
        public NoLockFsFactAttribute()
        {
            if (LibC.GetEuid() != 0) Skip = "needs root: mounting the refusing FUSE filesystem";
            else if (!File.Exists("/usr/bin/python3")) Skip = "no /usr/bin/python3";
            else if (Shell.Run("/usr/bin/python3", "-c", "import fusepy").ExitCode != 0)
                Skip = "python3-fusepy is not installed (scripts/setup.sh installs it)";
        }
    }

    /// <summary>A mount whose ciphertext lives on the refusing filesystem.</summary>
    private static TestMount MountOn(NoLockFs fs, params string[] extra) =>
        TestMount.Start(m => ["mount", Path.Combine(fs.Mnt, "vol"), m.MountPoint, "--passfile", TestVolumes.PassFileOf(m), .. extra],
            prepare: m =>
            {
                File.WriteAllText(TestVolumes.PassFileOf(m), TestVolumes.Passphrase + "\n");
                Directory.CreateDirectory(Path.Combine(fs.Mnt, "vol"));
                using var created = CryptStack.Volume.CryptVolume.Create(Path.Combine(fs.Mnt, "vol"),
                    CryptStack.Volume.VolumeSecret.Passphrase(System.Text.Encoding.UTF8.GetBytes(TestVolumes.Passphrase)), TestVolumes.CheapKdf).Volume;
            });

    [NoLockFsFact]
    public void Shared_mount_on_a_backing_filesystem_that_refuses_locks_is_refused_with_a_clear_message()
    {
        using var fs = new NoLockFs();
        var e = Assert.Throws<InvalidOperationException>(() => { using var m = MountOn(fs, "-o", "shared"); });
        Assert.Contains("-o shared needs file locks", e.Message);
        Assert.Contains("ENOLCK", e.Message);
    }

    [NoLockFsFact]
    public void Single_mount_on_a_backing_filesystem_that_refuses_locks_works_and_says_so_once()
    {
        using var fs = new NoLockFs();
        using var m = MountOn(fs);
        File.WriteAllText(m.P("a.txt"), "one");
        File.AppendAllText(m.P("a.txt"), " two");
        Assert.Equal("one two", File.ReadAllText(m.P("a.txt")));
        Assert.Single(m.Log.Split('\n'), l => l.Contains("refuses file locks"));
    }
}
