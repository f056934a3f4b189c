using System.Diagnostics;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// A real mount made with the `cryptstack` CLI over a fresh backing directory. Dispose always
/// unmounts and makes sure the daemon is gone, also when the test failed: a test leaves nothing
/// mounted or running.
/// </summary>
public sealed class TestMount : IDisposable
{
    public string Root { get; }
    public string Backing { get; }
    public string MountPoint { get; }
    public string PidFile { get; }
    public int DaemonPid { get; private set; }
    /// <summary>Where the daemon appends its log (--log-file).</summary>
    public string LogFile { get; }
    private Func<TestMount, string[]>? _args;
    private IReadOnlyList<string>? _launcher;

    private TestMount(string root)
    {
        Root = root;
        Backing = Path.Combine(root, "backing");
        MountPoint = Path.Combine(root, "mnt");
        PidFile = Path.Combine(root, "daemon.pid");
        LogFile = Path.Combine(root, "daemon.log");
        Directory.CreateDirectory(Backing);
        Directory.CreateDirectory(MountPoint);
    }

    public static string NewScratchDirectory()
    {
        string root = Path.Combine(Path.GetTempPath(), "cryptstack-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>`cryptstack mirror BACKING MNT` with the given extra arguments.</summary>
    public static TestMount Mirror(params string[] extra) => Start(m => ["mirror", m.Backing, m.MountPoint, .. extra]);

    /// <summary>Mounts with a custom command line built from the mount's paths (run through <paramref name="launcher"/>, see <see cref="Cli.Run"/>).</summary>
    public static TestMount Start(Func<TestMount, string[]> args, string? stdin = null, Action<TestMount>? prepare = null,
        IReadOnlyList<string>? launcher = null)
    {
        var m = new TestMount(NewScratchDirectory()) { _args = args, _launcher = launcher };
        try
        {
            prepare?.Invoke(m);
            m.MountAgain(stdin);
            return m;
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>Mounts the same backing directory again with the same command line (after <see cref="Unmount"/>).</summary>
    public void MountAgain(string? stdin = null)
    {
        var r = Cli.Run([.. _args!(this), "--pid-file", PidFile, "--log-file", LogFile], stdin, launcher: _launcher);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"mount failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        DaemonPid = int.Parse(File.ReadAllText(PidFile).Trim());
    }

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public string P(string relative) => Path.Combine(MountPoint, relative);
    public string B(string relative) => Path.Combine(Backing, relative);

    public bool IsMounted => File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ')[1] == MountPoint);

    /// <summary>Unmounts through the CLI and waits for the daemon to end.</summary>
    public void Unmount()
    {
        Cli.RunOk("unmount", MountPoint);
        WaitForDaemonExit(TimeSpan.FromSeconds(15));
    }

    public bool WaitForDaemonExit(TimeSpan timeout)
    {
        if (DaemonPid == 0) return true;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (!ProcessAlive(DaemonPid)) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    public static bool ProcessAlive(int pid)
    {
        // A zombie (exited, not yet reaped) counts as gone.
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
    }

    public void Dispose()
    {
        try
        {
            if (IsMounted)
            {
                RunQuiet("fusermount3", "-u", MountPoint);
                if (IsMounted) RunQuiet("fusermount3", "-u", "-z", MountPoint);
            }
            if (DaemonPid != 0 && !WaitForDaemonExit(TimeSpan.FromSeconds(10)))
            {
                try { Process.GetProcessById(DaemonPid).Kill(); } catch (ArgumentException) { }
                WaitForDaemonExit(TimeSpan.FromSeconds(5));
            }
            if (IsMounted) RunQuiet("fusermount3", "-u", "-z", MountPoint);
        }
        finally
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void RunQuiet(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi);
        p?.WaitForExit(15_000);
    }
}
