using System.Diagnostics;
using System.Runtime.CompilerServices;
using CryptStack.Mount.Tests.Harness;
using Xunit.Abstractions;

namespace CryptStack.Mount.Tests;

/// <summary>
/// Issue #15 and the load part of #14: 16 worker processes doing mixed operations (create, write, pwrite,
/// read, rename, unlink, readdir, truncate, fsync, mkdir/rmdir, unaligned writes into shared files), each
/// checking what it reads, for a bounded time; then every file is checked through every mount against the
/// workers' models. The daemon's RSS over the second half of the run may grow by at most
/// <see cref="GrowthLimitMiB"/> (before the fix of #15 it grew by about 15 MiB over the second half of a 40 s run; the protocol binding that replaced libfuse grew by up to 5 MiB over the second half of a 40 s run while settling, and is flat after that), and a
/// worker silent for 60 s fails the run with the daemon's thread stacks printed. The driver is
/// tests/CryptStack.Load; scripts/soak.sh runs the same for as long as asked.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Workers = 16, Seconds = 50;
    private const double GrowthLimitMiB = 10;

    [Fact]
    public void Encrypted_mount_survives_mixed_load_with_flat_memory()
    {
        using var m = TestVolumes.Mount();
        RunLoad([m.MountPoint], [m.DaemonPid]);
    }

    [Fact]
    public void Mirror_survives_mixed_load_with_flat_memory()
    {
        using var m = TestMount.Mirror();
        RunLoad([m.MountPoint], [m.DaemonPid]);
    }

    [Fact]
    public void Two_shared_mounts_of_one_volume_survive_mixed_load_with_flat_memory()
    {
        using var first = TestVolumes.Mount("-o", "shared");
        using var second = TestMount.Start(m => ["mount", first.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(first), "-o", "shared"]);
        RunLoad([first.MountPoint, second.MountPoint], [first.DaemonPid, second.DaemonPid]);
    }

    private void RunLoad(string[] mounts, int[] daemons)
    {
        var args = new List<string> { "run", "--workers", $"{Workers}", "--seconds", $"{Seconds}",
            "--rss-growth-limit-mib", $"{GrowthLimitMiB}", "--stall-seconds", "60" };
        foreach (string mount in mounts) args.AddRange(["--mount", mount]);
        foreach (int pid in daemons) args.AddRange(["--daemon", $"{pid}"]);
        var (exit, text) = RunDriver(args);
        output.WriteLine(text);
        Assert.True(exit == 0, $"load driver exited {exit}:\n{text}");
        Assert.Contains("all match", text);
    }

    private static (int ExitCode, string Output) RunDriver(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(DriverPath()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "driver timed out\n" + stdout);
        }
        return (p.ExitCode, stdout + err.Result);
    }

    /// <summary>The driver's apphost, built beside the tests in the same configuration.</summary>
    private static string DriverPath([CallerFilePath] string thisFile = "")
    {
        string testsDir = Path.GetDirectoryName(Path.GetDirectoryName(thisFile))!;
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string path = Path.Combine(testsDir, "CryptStack.Load", "bin", configuration, "net10.0", "CryptStack.Load");
        Assert.True(File.Exists(path), $"load driver not built: {path}");
        return path;
    }
}

/// <summary>The load tests fill both cores: run them alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "load";
}
