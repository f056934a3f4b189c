using CryptStack.Mount.Tests.Harness;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Mount.Tests.Backup;

/// <summary>decrypt's progress: plain lines when stdout is not a terminal, a status line redrawn in place on one (a pty), nothing with --quiet.</summary>
public sealed class ProgressTests
{
    private static TestMount VolumeWithFiles()
    {
        var m = TestVolumes.Mount();
        var data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        for (int i = 0; i < 24; i++) File.WriteAllBytes(m.P($"f{i}.bin"), data);
        m.Unmount();
        return m;
    }

    [Fact]
    public void Not_on_a_terminal_progress_is_plain_lines_and_quiet_is_silent()
    {
        using var m = VolumeWithFiles();
        var r = CliRunner.Run(["decrypt", m.Backing, Path.Combine(m.Root, "a"), "--passfile", TestVolumes.PassFileOf(m), "--progress-interval", "0.001"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\r', r.StdOut);
        Assert.DoesNotContain('\u001b', r.StdOut);
        var progress = lines.Where(l => l.StartsWith("decrypt: ", StringComparison.Ordinal)).ToList();
        Assert.True(progress.Count >= 2, r.StdOut);
        Assert.Equal("decrypt: 25/25 files, 24.0 MiB/24.0 MiB (100%)", progress[^1][..progress[^1].IndexOf(", ", progress[^1].IndexOf("MiB/", StringComparison.Ordinal), StringComparison.Ordinal)]);
        Assert.StartsWith("Restored 24 files (24.0 MiB)", lines[^1]);

        var quiet = CliRunner.Run(["decrypt", m.Backing, Path.Combine(m.Root, "b"), "--passfile", TestVolumes.PassFileOf(m), "--quiet"]);
        Assert.Equal(0, quiet.ExitCode);
        Assert.Equal("", quiet.StdOut);
        Assert.Equal("", quiet.StdErr);
    }

    [Fact]
    public void On_a_terminal_the_status_line_is_redrawn_in_place_and_the_terminal_mode_is_left_alone()
    {
        using var m = VolumeWithFiles();
        string dest = Path.Combine(m.Root, "t");
        string command = $"{Shell.Quote(CliRunner.Executable)} decrypt {Shell.Quote(m.Backing)} {Shell.Quote(dest)} --passfile {Shell.Quote(TestVolumes.PassFileOf(m))}; echo \"exit=$?\"";
        // script(1) runs the command on a new pseudo-terminal and copies what it writes there.
        var r = Shell.Run("script", "-qfec", command, "/dev/null");
        Assert.True(r.ExitCode == 0, r.ToString());
        string output = r.StdOut;
        Assert.Contains("exit=0", output);
        Assert.Contains("\r[####################] 100%  25/25 files  24.0 MiB/24.0 MiB", output);
        Assert.Contains("\u001b[K", output);
        // No cursor hiding, alternate screen or other mode that a killed process would leave behind. (The .NET
        // runtime itself sends keypad_xmit, "ESC[?1h ESC=", when any console program starts on a terminal:
        // dotnet/corefx#32805; that one is not the display's.)
        if (output.StartsWith("\u001b[?1h\u001b=", StringComparison.Ordinal)) output = output[8..];
        Assert.DoesNotContain("\u001b[?", output);
        Assert.Contains("Restored 24 files", output);
        Assert.Equal(24, Directory.GetFiles(dest).Length);
    }
}
