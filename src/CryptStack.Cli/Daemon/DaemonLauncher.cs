using System.Diagnostics;

namespace CryptStack.Cli.Daemon;

/// <summary>
/// Background mode without fork (forking the .NET runtime is unsafe): the command starts
/// itself again in the foreground with --notify-ready, in a new session, and returns when the
/// child says "ready" (exit 0) or dies (its exit code; its errors went to our stderr).
/// </summary>
internal static class DaemonLauncher
{
    public const string NotifyReadyOption = "--notify-ready";

    public static int Start(IEnumerable<string> args, ReadOnlySpan<byte> stdinPayload)
    {
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            // Relayed, not inherited: a daemon holding our caller's stderr would keep a
            // `$(cryptstack mount ...)` or a test harness waiting for EOF forever.
            RedirectStandardError = true,
        };
        string exe = Environment.ProcessPath ?? throw new CliException(ExitCodes.Error, "cannot find the cryptstack executable");
        psi.FileName = exe;
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            psi.ArgumentList.Add(typeof(DaemonLauncher).Assembly.Location);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--foreground");
        psi.ArgumentList.Add(NotifyReadyOption);

        using var child = Process.Start(psi) ?? throw new CliException(ExitCodes.Error, "cannot start the mount daemon");
        var relay = child.StandardError.BaseStream.CopyToAsync(Output.StandardStreams.OpenError());
        using (var stdin = child.StandardInput.BaseStream)
        {
            stdin.Write(stdinPayload);
        }
        string? line = child.StandardOutput.ReadLine();
        if (line == "ready") return ExitCodes.Ok;
        child.WaitForExit();
        relay.Wait(TimeSpan.FromSeconds(5));
        return child.ExitCode == 0 ? ExitCodes.MountFailed : child.ExitCode;
    }
}
