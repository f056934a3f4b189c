using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// A word that looks like an option and is none of ours is refused by name (exit 2) before anything runs;
/// gocryptfs' spellings get ours as the suggestion. --help lists the exit codes beside gocryptfs'.
/// </summary>
public sealed class OptionWordTests : IDisposable
{
    private readonly Session _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void A_gocryptfs_option_after_the_others_is_refused_by_name_and_creates_nothing()
    {
        string pass = _s.PassFile("option word passphrase");
        var r = _s.Run(["init", "--passfile", pass, "-plaintextnames"]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("'-plaintextnames'", r.StdErr);
        Assert.Contains("always encrypts names", r.StdErr);
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "-plaintextnames")));
    }

    [Fact]
    public void A_gocryptfs_option_before_the_directory_is_blamed_not_the_directory()
    {
        string pass = _s.PassFile("option word passphrase");
        var r = _s.Run(["init", "-plaintextnames", "--passfile", pass, _s.Volume]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("'-plaintextnames'", r.StdErr);
        Assert.DoesNotContain(_s.Volume, r.StdErr);
        Assert.False(Directory.Exists(_s.Volume));
    }

    [Theory]
    [InlineData("-ro", "-o ro")]
    [InlineData("-allow_other", "-o allow_other")]
    [InlineData("-nonempty", "-o nonempty")]
    [InlineData("-fg", "--foreground")]
    [InlineData("-passfile", "--passfile")]
    [InlineData("-extpass", "--extpass")]
    public void Mount_maps_gocryptfs_spellings_to_ours(string gocryptfs, string ours)
    {
        string mnt = Path.Combine(_s.Root, "mnt");
        Directory.CreateDirectory(mnt);
        var r = _s.Run(["mount", _s.Volume, mnt, gocryptfs]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"'{gocryptfs}'", r.StdErr);
        Assert.Contains(ours, r.StdErr);
        Assert.False(DaemonMount.IsMountPoint(mnt));
    }

    [Fact]
    public void An_unknown_double_dash_option_is_named_and_a_path_starting_with_a_dash_still_works()
    {
        var r = _s.Run(["info", "--no-such-option", _s.Volume]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("'--no-such-option'", r.StdErr);
        Assert.DoesNotContain($"'{_s.Volume}'", r.StdErr);

        // After `--` a word is a path whatever it looks like: here a directory that is not a volume.
        string odd = Path.Combine(_s.Root, "-odd");
        Directory.CreateDirectory(odd);
        var p = new System.Diagnostics.ProcessStartInfo(Mount.Tests.Harness.Cli.Executable) { WorkingDirectory = _s.Root, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "info", "--", "-odd" }) p.ArgumentList.Add(a);
        using var proc = System.Diagnostics.Process.Start(p)!;
        string err = proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        Assert.Equal(ExitCodes.NotAVolume, proc.ExitCode);
        Assert.Contains(odd, err);
    }

    [Fact]
    public void Help_lists_every_exit_code_with_gocryptfs_code_beside_it()
    {
        foreach (string[] args in new[] { new[] { "--help" }, new[] { "mount", "--help" } })
        {
            string help = _s.RunOk(args).StdOut;
            Assert.Contains("Exit codes", help);
            foreach (ExitCodeInfo row in ExitCodes.Table)
                Assert.Matches($@"(?m)^\s+{row.Code}\s+.*\[{System.Text.RegularExpressions.Regex.Escape(row.Gocryptfs)}\]$", help);
        }
    }
}
