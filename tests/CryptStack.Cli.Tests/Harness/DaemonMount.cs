using System.Diagnostics;

namespace CryptStack.Cli.Tests.Harness;

/// <summary>
/// A mount point in a <see cref="Session"/> for `cryptstack mount`, with the daemon's --pid-file and
/// --log-file. Dispose leaves nothing behind, also when the test failed: it unmounts (lazily if it
/// must) and ends the daemon it started, found by its pid file, never by name.
/// </summary>
public sealed class DaemonMount : IDisposable
{
    public DaemonMount(Session session, string name = "mnt")
    {
        MountPoint = Path.Combine(session.Root, name);
        PidFile = Path.Combine(session.Root, name + ".pid");
        LogFile = Path.Combine(session.Root, name + ".log");
        Directory.CreateDirectory(MountPoint);
    }

    public string MountPoint { get; }
    public string PidFile { get; }
    public string LogFile { get; }
    /// <summary>The daemon's pid, once <see cref="Started"/> (or Dispose) read the pid file.</summary>
    public int Pid { get; private set; }

    /// <summary>The options every mount of the tests gets, so Dispose can find the daemon.</summary>
    public string[] DaemonOptions => ["--pid-file", PidFile, "--log-file", LogFile];

    public string P(string relative) => Path.Combine(MountPoint, relative);

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    /// <summary>Call after a mount command succeeded: reads the daemon's pid.</summary>
    public int Started()
    {
        Assert.True(File.Exists(PidFile), "the daemon wrote no pid file");
        Pid = int.Parse(File.ReadAllText(PidFile).Trim());
        Assert.True(ProcessAlive(Pid), $"daemon {Pid} is not running");
        return Pid;
    }

    public bool IsMounted => IsMountPoint(MountPoint);

    public string? FsType => MountEntry(MountPoint)?[2];

    /// <summary>The mount's options as /proc/self/mounts shows them (ro,nosuid,...).</summary>
    public string[] MountOptions => MountEntry(MountPoint)?[3].Split(',') ?? [];

    public bool DaemonAlive => Pid != 0 && ProcessAlive(Pid);

    public static bool IsMountPoint(string path) => MountEntry(path) != null;

    private static string[]? MountEntry(string path) =>
        File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).LastOrDefault(f => f.Length > 3 && f[1] == path);

    public static bool ProcessAlive(int pid)
    {
        // A zombie (exited; our test host is not its parent and may never reap it) counts as gone.
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException) { return false; }
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    public bool WaitForDaemonExit(TimeSpan timeout) => WaitUntil(() => !DaemonAlive, timeout);

    /// <summary>Sends SIGTERM to the daemon (the pid from its pid file).</summary>
    public void Terminate() => Signal(Signals.SIGTERM);

    /// <summary>Sends a signal with kill(2), as the product does: a minimal system has no /bin/kill (procps).</summary>
    public void Signal(int signal)
    {
        Assert.NotEqual(0, Pid);
        Assert.True(Signals.Kill(Pid, signal) == 0, $"kill({Pid}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    public static (int ExitCode, string StdOut, string StdErr) Run(string file, params string[] args) => RunFor(TimeSpan.FromSeconds(30), file, args);

    public static (int ExitCode, string StdOut, string StdErr) RunFor(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        if (Pid == 0 && File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out int pid)) Pid = pid;
        if (IsMounted) Run("fusermount3", "-u", MountPoint);
        if (IsMounted) Run("fusermount3", "-u", "-z", MountPoint);
        if (Pid != 0 && !WaitForDaemonExit(TimeSpan.FromSeconds(20)))
        {
            try { Process.GetProcessById(Pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            WaitForDaemonExit(TimeSpan.FromSeconds(5));
        }
        if (IsMounted) Run("fusermount3", "-u", "-z", MountPoint);
    }
}
