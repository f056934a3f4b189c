using System.Text;
using System.Text.RegularExpressions;
using CliRunner = CryptStack.Mount.Tests.Harness.Cli;

namespace CryptStack.Cli.Tests.Harness;

/// <summary>
/// A scratch directory with a volume path, secret files, and a runner that fails the test when a
/// secret shows up in any command's stdout or stderr. The recovery key may appear only where a test
/// says so (the one output that prints it).
/// </summary>
public sealed partial class Session : IDisposable
{
    /// <summary>Argon2id with 64 KiB and one pass: the tests exercise the CLI, not the KDF's cost.</summary>
    public static readonly string[] CheapKdf = ["--kdf-memory", "64", "--kdf-iterations", "1"];

    private readonly List<string> _secrets = [];

    public Session()
    {
        Root = Path.Combine(Path.GetTempPath(), "cryptstack-cli-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Volume = Path.Combine(Root, "cipher");
    }

    public string Root { get; }
    public string Volume { get; }

    /// <summary>Writes a passphrase file (passphrase + "\n") and remembers the passphrase as a secret.</summary>
    public string PassFile(string passphrase, string name = "pass.txt")
    {
        string path = Path.Combine(Root, name);
        File.WriteAllText(path, passphrase + "\n");
        if (passphrase.Length > 0) Secret(passphrase);
        return path;
    }

    /// <summary>Writes a random key file; its printable form (hex) cannot appear in output either.</summary>
    public string KeyFile(string name = "secret.key", int length = 64)
    {
        string path = Path.Combine(Root, name);
        byte[] key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
        File.WriteAllBytes(path, key);
        Secret(Convert.ToHexString(key));
        Secret(Convert.ToBase64String(key));
        return path;
    }

    public void Secret(string secret) => _secrets.Add(secret);

    public CliRunner.Result Run(string[] args, string? stdin = null, string? allowedSecret = null)
    {
        var result = CliRunner.Run(args, stdin);
        foreach (string secret in _secrets)
        {
            Assert.DoesNotContain(secret, result.StdOut);
            Assert.DoesNotContain(secret, result.StdErr);
        }
        // A recovery key must not leak anywhere else, also not in another spelling.
        foreach (Match m in RecoveryKeyPattern().Matches(result.StdOut + result.StdErr))
            Assert.True(m.Value == allowedSecret, $"cryptstack {string.Join(' ', args)} printed a recovery key it should not have");
        return result;
    }

    public CliRunner.Result RunOk(string[] args, string? stdin = null, string? allowedSecret = null)
    {
        var r = Run(args, stdin, allowedSecret);
        Assert.True(r.ExitCode == 0, $"cryptstack {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        return r;
    }

    public CliRunner.Result RunFails(int exitCode, string[] args, string? stdin = null)
    {
        var r = Run(args, stdin);
        Assert.True(r.ExitCode == exitCode, $"cryptstack {string.Join(' ', args)}: expected exit {exitCode}, got {r.ExitCode}: {r.StdErr}{r.StdOut}");
        Assert.StartsWith("cryptstack: ", r.StdErr.Split('\n').Last(l => l.Length > 0));
        return r;
    }

    /// <summary>`cryptstack init` with cheap KDF settings; returns the recovery key it printed (and checks it printed it once).</summary>
    public string Init(string[] secretArgs, string? stdin = null, string[]? kdf = null)
    {
        var r = CliRunner.Run(["init", Volume, "--print-recovery-key", .. secretArgs, .. kdf ?? CheapKdf], stdin);
        Assert.True(r.ExitCode == 0, $"init failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        string key = Assert.Single(RecoveryKeyPattern().Matches(r.StdOut)).Value;
        Assert.DoesNotContain(key, r.StdErr);
        foreach (string secret in _secrets) Assert.DoesNotContain(secret, r.StdOut + r.StdErr);
        Assert.Contains("shown only this once", r.StdOut);
        return key;
    }

    /// <summary>Exit code of `key test` with the given secret: 0 when it opens the volume.</summary>
    public int Opens(string[] secretArgs, string? stdin = null) => Run(["key", "test", Volume, .. secretArgs], stdin).ExitCode;

    public string ConfigPath => Path.Combine(Volume, "cryptstack.conf");

    [GeneratedRegex("[0-9A-Z]{5}(-[0-9A-Z]{5}){12}")]
    public static partial Regex RecoveryKeyPattern();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
