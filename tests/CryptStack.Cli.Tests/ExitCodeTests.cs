using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// docs/cli.md's exit code table, ExitCodes.cs and these tests agree: every documented code is
/// produced by a real command line here.
/// </summary>
public sealed partial class ExitCodeTests : IDisposable
{
    private readonly Session _s = new();

    public void Dispose() => _s.Dispose();

    private static readonly int[] Scenarios =
    [
        ExitCodes.Ok, ExitCodes.Error, ExitCodes.Usage, ExitCodes.WrongSecret, ExitCodes.NotAVolume,
        ExitCodes.AlreadyMounted, ExitCodes.MountPointNotEmpty, ExitCodes.FuseMissing, ExitCodes.CorruptConfig,
        ExitCodes.MountFailed, ExitCodes.NotMounted, ExitCodes.Refused, ExitCodes.Unsupported,
        ExitCodes.InvalidSecret, ExitCodes.SecretUnavailable, ExitCodes.CipherDirNotEmpty,
        ExitCodes.Incomplete, ExitCodes.DestinationNotEmpty, ExitCodes.NoSuchPath, ExitCodes.ProblemsFound, ExitCodes.ProblemsRepaired,
    ];

    public static IEnumerable<object[]> ProducedCodes() => Scenarios.Select(code => new object[] { code });

    [Fact]
    public void Docs_table_matches_ExitCodes_and_every_code_is_produced_below()
    {
        var declared = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        Assert.Equal(declared.Count, declared.Values.Distinct().Count());

        string doc = File.ReadAllText(Path.Combine(InfoAndConfigTests.RepoRoot(), "docs", "cli.md"));
        var documented = TableRow().Matches(doc).ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value));
        Assert.Equal(declared.OrderBy(kv => kv.Value), documented.OrderBy(kv => kv.Value));

        Assert.Equal(declared.Values.Order(), Scenarios.Order());
    }

    [Fact]
    public void Docs_table_gives_gocryptfs_code_beside_ours_as_help_does()
    {
        string doc = File.ReadAllText(Path.Combine(InfoAndConfigTests.RepoRoot(), "docs", "cli.md"));
        var documented = GocryptfsColumn().Matches(doc).ToDictionary(m => int.Parse(m.Groups[1].Value), m => m.Groups[2].Value);
        Assert.Equal(ExitCodes.Table.ToDictionary(r => r.Code, r => r.Gocryptfs).OrderBy(kv => kv.Key), documented.OrderBy(kv => kv.Key));
    }

    [SkippableTheory]
    [MemberData(nameof(ProducedCodes))]
    public void Exit_code_is_produced(int code)
    {
        string pass = _s.PassFile("exit code passphrase");
        string empty = Path.Combine(_s.Root, "empty");
        Directory.CreateDirectory(empty);
        string[] args;
        string? stdin = null;
        switch (code)
        {
            case ExitCodes.Ok:
                args = ["--version"];
                break;
            case ExitCodes.Error:
                _s.Init(["--passfile", pass]);
                args = ["key", "add", _s.Volume, "--unlock-passfile", pass, "--generate-keyfile", Path.Combine(_s.Root, "no-such-dir", "k")];
                break;
            case ExitCodes.Usage:
                args = ["init", empty, "--no-such-option"];
                break;
            case ExitCodes.WrongSecret:
                _s.Init(["--passfile", pass]);
                args = ["key", "test", _s.Volume];
                stdin = "not it\n";
                break;
            case ExitCodes.NotAVolume:
                args = ["info", empty];
                break;
            case ExitCodes.AlreadyMounted:
                args = ["mirror", empty, "/proc"];
                break;
            case ExitCodes.MountPointNotEmpty:
                string full = Path.Combine(_s.Root, "full");
                Directory.CreateDirectory(full);
                File.WriteAllText(Path.Combine(full, "file"), "");
                args = ["mirror", empty, full];
                break;
            case ExitCodes.FuseMissing:
                // A private mount namespace whose /dev has no fuse device.
                RequirePrivateMountNamespace();
                AssertExit(code, Unshared("mount -t tmpfs none /dev", "mirror", empty, Mnt()));
                return;
            case ExitCodes.MountFailed:
                // /dev/fuse is there but is not the FUSE device: the kernel refuses the mount.
                RequirePrivateMountNamespace();
                AssertExit(code, Unshared("mount --bind /dev/null /dev/fuse", "mirror", empty, Mnt()));
                return;
            case ExitCodes.CorruptConfig:
                _s.Init(["--passfile", pass]);
                File.WriteAllText(_s.ConfigPath, "{");
                args = ["info", _s.Volume];
                break;
            case ExitCodes.NotMounted:
                args = ["unmount", empty];
                break;
            case ExitCodes.Refused:
                _s.Init(["--passfile", pass]);
                args = ["key", "remove", _s.Volume, "--slot", "0", "--unlock-passfile", pass];
                break;
            case ExitCodes.Unsupported:
                _s.Init(["--passfile", pass]);
                File.WriteAllText(_s.ConfigPath, File.ReadAllText(_s.ConfigPath).Replace("dir-ids", "from-the-future"));
                args = ["info", _s.Volume];
                break;
            case ExitCodes.InvalidSecret:
                _s.Init(["--passfile", pass]);
                args = ["key", "test", _s.Volume, "--recovery-key"];
                stdin = "00000-00000\n";
                break;
            case ExitCodes.SecretUnavailable:
                args = ["init", Path.Combine(_s.Root, "new"), "--print-recovery-key", "--extpass", "false"];
                break;
            case ExitCodes.CipherDirNotEmpty:
                args = ["init", _s.Root, "--passfile", pass];
                break;
            case ExitCodes.Incomplete:
                _s.Init(["--passfile", pass]);
                // Not a name CryptStack writes: reported, and the listing goes on.
                File.WriteAllText(Path.Combine(_s.Volume, "foreign.txt"), "");
                args = ["ls", _s.Volume, "--passfile", pass];
                break;
            case ExitCodes.DestinationNotEmpty:
                _s.Init(["--passfile", pass]);
                args = ["decrypt", _s.Volume, _s.Root, "--passfile", pass];
                break;
            case ExitCodes.NoSuchPath:
                _s.Init(["--passfile", pass]);
                args = ["cat", _s.Volume, "no/such/file", "--passfile", pass];
                break;
            case ExitCodes.ProblemsFound:
                _s.Init(["--passfile", pass]);
                File.WriteAllText(Path.Combine(_s.Volume, "foreign.txt"), "");
                args = ["fsck", _s.Volume, "--passfile", pass, "--quiet"];
                break;
            case ExitCodes.ProblemsRepaired:
                _s.Init(["--passfile", pass]);
                // An empty temporary file of an interrupted save: provably ours and empty, so removed.
                File.WriteAllText(_s.ConfigPath + ".tmp", "");
                args = ["fsck", _s.Volume, "--passfile", pass, "--quiet", "--repair"];
                break;
            default:
                throw new InvalidOperationException($"no scenario for exit code {code}");
        }
        var r = _s.Run(args, stdin);
        Assert.True(r.ExitCode == code, $"cryptstack {string.Join(' ', args)}: expected {code}, got {r.ExitCode}: {r.StdErr}");
        if (code != ExitCodes.Ok) Assert.NotEqual("", r.StdErr.Trim());
    }

    [Fact]
    public void Status_lists_a_cryptstack_mount_with_its_source_and_options()
    {
        string backing = Path.Combine(_s.Root, "backing");
        Directory.CreateDirectory(backing);
        string mnt = Mnt();
        _s.RunOk(["mirror", backing, mnt, "-o", "ro"]);
        try
        {
            string status = _s.RunOk(["status"]).StdOut;
            string line = Assert.Single(status.Split('\n'), l => l.Contains(mnt));
            Assert.Matches($@"^{Regex.Escape(backing)}\s+{Regex.Escape(mnt)}\s+mirror\s+pid \d+\s+ro\b", line);
            Assert.StartsWith("SOURCE", status);
        }
        finally
        {
            _s.RunOk(["unmount", mnt]);
        }
        Assert.DoesNotContain(mnt, _s.RunOk(["status"]).StdOut);
    }

    private string Mnt()
    {
        string mnt = Path.Combine(_s.Root, "mnt");
        Directory.CreateDirectory(mnt);
        return mnt;
    }

    /// <summary>
    /// `unshare -m` makes / private in the new namespace, which fails where / is not a mount point (a
    /// chroot, some containers): "cannot change root filesystem propagation". Without the private
    /// propagation our mounts there could reach the host's /dev, so such a machine skips these cases.
    /// </summary>
    private static readonly Lazy<string?> PrivateNamespaceProblem = new(() =>
    {
        if (Requires.FindOnPath("unshare") == null) return "unshare (util-linux) is not installed";
        var r = DaemonMount.Run("unshare", "-m", "true");
        return r.ExitCode == 0 ? null : $"unshare -m fails here ({r.StdErr.Trim()})";
    });

    private static void RequirePrivateMountNamespace() =>
        Requires.Not(PrivateNamespaceProblem.Value != null, $"needs a private mount namespace: {PrivateNamespaceProblem.Value}");

    private static (int ExitCode, string StdErr) Unshared(string setup, params string[] args)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-m", "sh", "-c", setup + " && exec \"$@\"", "sh", Mount.Tests.Harness.Cli.Executable }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) p.Kill(entireProcessTree: true);
        _ = stdout.Result;
        return (p.ExitCode, stderr);
    }

    private static void AssertExit(int code, (int ExitCode, string StdErr) r) =>
        Assert.True(r.ExitCode == code, $"expected {code}, got {r.ExitCode}: {r.StdErr}");

    /// <summary>A row of the exit code table: | 10 | `WrongSecret` | meaning |</summary>
    [GeneratedRegex(@"(?m)^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|")]
    private static partial Regex TableRow();

    /// <summary>The last column of a row of the exit code table: | 10 | `WrongSecret` | meaning | 12 |</summary>
    [GeneratedRegex(@"(?m)^\|\s*(\d+)\s*\|\s*`\w+`\s*\|[^\n]*\|\s*([^|\n]+?)\s*\|\s*$")]
    private static partial Regex GocryptfsColumn();
}
