using System.Text;
using CryptStack.Mount.Tests.Harness;
using CryptStack.Volume;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Keys reach neither swap nor core files, and the mount keeps only the subkeys it needs (issue 10, key hygiene).
/// Observed from outside, on the running daemon: /proc/PID/status, /proc/PID/limits, and its memory.
/// </summary>
public class KeyHygieneTests
{
    private static long StatusKiB(int pid, string field)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
    }

    [Fact]
    public void Daemon_locks_key_memory_and_has_a_core_limit_of_zero()
    {
        using var m = TestVolumes.Mount();
        Assert.True(StatusKiB(m.DaemonPid, "VmLck") > 0, "no locked memory: key buffers are not mlock'ed");
        string core = File.ReadLines($"/proc/{m.DaemonPid}/limits").Single(l => l.StartsWith("Max core file size", StringComparison.Ordinal));
        Assert.Equal(["0", "0"], core["Max core file size".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2));
        Assert.DoesNotContain("could not be locked", m.Log);
    }

    [RootFact("reading another process's memory")]
    public void Daemon_memory_holds_the_subkeys_but_not_the_master_key()
    {
        using var m = TestVolumes.Mount();
        byte[] master, headerKey;
        using (var volume = CryptVolume.Open(m.Backing, VolumeSecret.Passphrase(Encoding.UTF8.GetBytes(TestVolumes.Passphrase))))
        {
            master = volume.Keys.MasterKey.ToArray();
            using var derived = volume.Keys.DeriveContentHeaderKey();
            headerKey = derived.Span.ToArray();
        }
        File.WriteAllText(m.P("f.txt"), "content");

        var (hasHeaderKey, hasMaster) = SearchMemory(m.DaemonPid, headerKey, master);
        // The scan sees key material (the daemon uses the header key), so not finding the master key means something.
        Assert.True(hasHeaderKey, "the memory scan did not find the content header key the daemon uses");
        Assert.False(hasMaster, "the daemon's memory still holds the master key");
    }

    [RootFact("dropping CAP_IPC_LOCK, which root's mlock would otherwise bypass the limit with")]
    public void Refused_memory_lock_is_logged_once_and_the_mount_works()
    {
        using var m = TestVolumes.MountThrough(["prlimit", "--memlock=0:0", "--", "setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "--"]);
        File.WriteAllText(m.P("f.txt"), "still works");
        Assert.Equal("still works", File.ReadAllText(m.P("f.txt")));
        Assert.Single(m.Log.Split('\n'), l => l.Contains("key memory could not be locked"));
        Assert.Contains("RLIMIT_MEMLOCK", m.Log);
    }

    /// <summary>Whether each needle occurs in a readable mapping of <paramref name="pid"/>.</summary>
    private static (bool, bool) SearchMemory(int pid, byte[] first, byte[] second)
    {
        bool a = false, b = false;
        using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        var buffer = new byte[1 << 20];
        foreach (string line in File.ReadLines($"/proc/{pid}/maps"))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts[1][0] != 'r') continue;
            if (parts.Length > 5 && (parts[5] == "[vvar]" || parts[5] == "[vsyscall]")) continue;
            string[] range = parts[0].Split('-');
            ulong start = Convert.ToUInt64(range[0], 16), end = Convert.ToUInt64(range[1], 16);
            // Overlap chunks by a needle's length so a key straddling two reads is found.
            for (ulong at = start; at < end; at += (ulong)(buffer.Length - 64))
            {
                int want = (int)Math.Min((ulong)buffer.Length, end - at);
                int got;
                try
                {
                    mem.Position = (long)at;
                    got = mem.Read(buffer, 0, want);
                }
                catch (IOException) { break; }
                var span = buffer.AsSpan(0, got);
                a |= span.IndexOf(first) >= 0;
                b |= span.IndexOf(second) >= 0;
                if (got < want) break;
            }
        }
        return (a, b);
    }
}
