using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// What a running daemon tells `status` and `unmount` about its mount, which the kernel's mount table
/// cannot: its process (so unmount can wait for it to exit, and status can tell a dead one) and our
/// own options (shared). One small file per mount point in a runtime directory (/run/cryptstack for
/// root, $XDG_RUNTIME_DIR/cryptstack otherwise), removed when the daemon ends.
/// </summary>
internal sealed record MountRecord(string MountPoint, int Pid, long StartTime, bool Shared)
{
    public static string Directory => Posix.GetEuid() == 0
        ? "/run/cryptstack"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } run ? run : Path.GetTempPath(),
            $"cryptstack-{Posix.GetEuid().ToString(CultureInfo.InvariantCulture)}");

    private static string PathFor(string mountPoint) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mountPoint)))[..24] + ".mount");

    /// <summary>The daemon still runs: same pid and the same process start time (a recycled pid is not it).</summary>
    public bool DaemonAlive => ProcessStartTime(Pid) == StartTime;

    public static MountRecord ForThisProcess(string mountPoint, bool shared) =>
        new(mountPoint, Environment.ProcessId, ProcessStartTime(Environment.ProcessId) ?? 0, shared);

    public void Write()
    {
        System.IO.Directory.CreateDirectory(Directory);
        string text = string.Create(CultureInfo.InvariantCulture,
            $"mountpoint={MountPoint}\npid={Pid}\nstarttime={StartTime}\nshared={(Shared ? 1 : 0)}\n");
        DaemonFiles.Write(PathFor(MountPoint), text);
    }

    public void Delete()
    {
        if (Read(MountPoint) is { } current && current.Pid == Pid) File.Delete(PathFor(MountPoint));
    }

    public static MountRecord? Read(string mountPoint)
    {
        try
        {
            var values = File.ReadAllLines(PathFor(mountPoint))
                .Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
            if (values.GetValueOrDefault("mountpoint") != mountPoint) return null;
            return new MountRecord(mountPoint,
                int.Parse(values["pid"], CultureInfo.InvariantCulture),
                long.Parse(values["starttime"], CultureInfo.InvariantCulture),
                values.GetValueOrDefault("shared") == "1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or KeyNotFoundException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot); null when there is no such live process.</summary>
    private static long? ProcessStartTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] == "Z") return null;
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
    }
}
