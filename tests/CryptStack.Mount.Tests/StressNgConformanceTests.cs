using System.Diagnostics;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>
/// stress-ng's filesystem stressors (Debian package stress-ng), each with --verify, run on a
/// plain directory, on `cryptstack mirror` and on `cryptstack mount`. A stressor that passes on
/// the plain directory must pass on both mounts. pjdfstest, which is not packaged for Debian, was
/// run by hand (docs/conformance.md); this is the third-party suite CI can run here.
/// </summary>
[Collection(StressNgCollection.Name)]
public sealed class StressNgConformanceTests(StressNgConformanceTests.Mounts mounts) : IClassFixture<StressNgConformanceTests.Mounts>
{
    /// <summary>Stressors of `stress-ng --class filesystem?` that test the filesystem under the temp path.</summary>
    public static TheoryData<string> Stressors => new()
    {
        "access", "chdir", "chmod", "chown", "copy-file", "dentry", "dir", "dirdeep", "dirmany", "dup",
        "fallocate", "fcntl", "file-ioctl", "filename", "flock", "fpunch", "fsize", "fstat", "getdent",
        "hdd", "io", "iomix", "link", "locka", "lockf", "lockofd", "mknod", "open", "rename", "symlink",
        "sync-file", "touch", "utime", "xattr",
    };

    public sealed class Mounts : IDisposable
    {
        public TestMount Mirror { get; } = TestMount.Mirror();
        public TestMount Encrypted { get; } = TestVolumes.Mount();
        public string Plain { get; } = TestMount.NewScratchDirectory();

        public void Dispose()
        {
            Mirror.Dispose();
            Encrypted.Dispose();
            try { Directory.Delete(Plain, recursive: true); } catch (IOException) { }
        }
    }

    private static (int ExitCode, string Output) Run(string stressor, string directory)
    {
        string dir = Path.Combine(directory, stressor);
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("stress-ng")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (string a in new[] { "--temp-path", dir, "--verify", "--timeout", "1s", "--" + stressor, "1" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out\n" + output);
        }
        return (p.ExitCode, output + err.Result);
    }

    private static string FirstLines(string text, int n) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(n));

    [SkippableTheory]
    [MemberData(nameof(Stressors))]
    public void Stressor_passing_on_a_plain_directory_passes_on_both_mounts(string stressor)
    {
        Requires.Tool("stress-ng", "the Debian package stress-ng");
        var plain = Run(stressor, mounts.Plain);
        // 0 = passed; anything else on the plain directory means the stressor can't run here.
        Requires.Not(plain.ExitCode != 0, $"stress-ng --{stressor} fails on a plain directory here (exit {plain.ExitCode}): {FirstLines(plain.Output, 3)}");
        var mirror = Run(stressor, mounts.Mirror.MountPoint);
        Assert.True(mirror.ExitCode == 0, $"mirror: stress-ng --{stressor} exited {mirror.ExitCode}:\n{mirror.Output}");
        var encrypted = Run(stressor, mounts.Encrypted.MountPoint);
        Assert.True(encrypted.ExitCode == 0, $"encrypted: stress-ng --{stressor} exited {encrypted.ExitCode}:\n{encrypted.Output}");
    }
}

/// <summary>stress-ng loads both cores: run it alone, after the parallel test collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressNgCollection
{
    public const string Name = "stress-ng";
}
