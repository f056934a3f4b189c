using System.Diagnostics;
using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>An --extpass program does not outlive a cryptstack that was killed while waiting for it.</summary>
public sealed class ExtPassTests : IDisposable
{
    private readonly Session _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(Signals.SIGTERM)]
    [InlineData(Signals.SIGINT)]
    public void Extpass_program_ends_when_cryptstack_is_killed_while_waiting_for_it(int signal)
    {
        _s.Init(["--passfile", _s.PassFile("extpass passphrase")]);
        string pidFile = Path.Combine(_s.Root, "extpass.pid");
        var psi = new ProcessStartInfo(CryptStack.Mount.Tests.Harness.Cli.Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "key", "test", _s.Volume, "--extpass", $"sleep 300 & echo $! > {pidFile}; wait" }) psi.ArgumentList.Add(a);
        using var cryptstack = Process.Start(psi)!;
        try
        {
            Assert.True(DaemonMount.WaitUntil(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, TimeSpan.FromSeconds(30)), "the --extpass program did not start");
            int sleeper = int.Parse(File.ReadAllText(pidFile).Trim());
            Assert.True(DaemonMount.ProcessAlive(sleeper));
            Assert.Equal(0, Signals.Kill(cryptstack.Id, signal));
            Assert.True(cryptstack.WaitForExit(15_000), "cryptstack did not end on the signal");
            Assert.True(DaemonMount.WaitUntil(() => !DaemonMount.ProcessAlive(sleeper), TimeSpan.FromSeconds(10)), "the --extpass program outlived cryptstack");
        }
        finally
        {
            if (!cryptstack.HasExited) cryptstack.Kill(entireProcessTree: true);
        }
    }
}
