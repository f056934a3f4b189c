using System.Diagnostics;
using System.Runtime.InteropServices;
using CryptStack.Volume;

namespace CryptStack.Cli.Secrets;

/// <summary>Where a secret's bytes come from: files, an external program, stdin. Each fills a <see cref="SecretBuffer"/>.</summary>
internal static class SecretSources
{
    /// <summary>Nothing we read is longer than the longest key file the volume accepts (plus one, so the library can say "too long").</summary>
    private const int MaxBytes = VolumeSecret.MaxKeyFileBytes + 1;

    public static void ReadFile(string path, SecretBuffer into)
    {
        if (Directory.Exists(path))
            throw new CliException(ExitCodes.SecretUnavailable, $"{path}: is a directory; give the file that holds the secret");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            ReadToEnd(file, into);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.SecretUnavailable, $"{path}: cannot read ({e.Message})");
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> with /bin/sh -c and keeps its stdout. Its stderr and stdin stay
    /// ours, so a program like ssh-askpass or `pass` can ask the user itself.
    /// </summary>
    public static void RunExtPass(string command, SecretBuffer into)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new CliException(ExitCodes.SecretUnavailable, "cannot start the --extpass command");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException(ExitCodes.SecretUnavailable, $"cannot start /bin/sh for --extpass ({e.Message})");
        }
        using (process)
        {
            // Killed while waiting for it (SIGTERM, SIGINT, SIGHUP), we take the program and its children
            // with us instead of leaving them running (a pinentry or an ssh-askpass on the user's screen).
            var registrations = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }
                .Select(signal => PosixSignalRegistration.Create(signal, _ =>
                {
                    try { process.Kill(entireProcessTree: true); }
                    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
                }))
                .ToList();
            using var unregister = new Registrations(registrations);
            ReadToEnd(process.StandardOutput.BaseStream, into);
            if (into.Length >= MaxBytes) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            // The command is the user's, not a secret, but its output is: never echo that.
            if (process.ExitCode != 0)
                throw new CliException(ExitCodes.SecretUnavailable, $"the --extpass command exited with status {process.ExitCode}");
        }
    }

    private sealed class Registrations(List<PosixSignalRegistration> all) : IDisposable
    {
        public void Dispose() => all.ForEach(r => r.Dispose());
    }

    /// <summary>Reads stdin to its end: the payload a parent process pipes to the mount daemon.</summary>
    public static void ReadStdinToEnd(SecretBuffer into)
    {
        using Stream stdin = Output.StandardStreams.OpenInput();
        ReadToEnd(stdin, into);
    }

    /// <summary>Keeps the first line (without "\n" or "\r\n") and zeroes the rest.</summary>
    public static void KeepFirstLine(SecretBuffer buffer)
    {
        int end = buffer.Span.IndexOf((byte)'\n');
        if (end >= 0) buffer.Truncate(end);
        if (buffer.Length > 0 && buffer.Span[^1] == (byte)'\r') buffer.Truncate(buffer.Length - 1);
    }

    private static void ReadToEnd(Stream stream, SecretBuffer into)
    {
        while (into.Length < MaxBytes)
        {
            int n = stream.Read(into.GetFreeSpan(4096));
            if (n == 0) return;
            into.Advance(n);
        }
        if (into.Length > MaxBytes) into.Truncate(MaxBytes);
    }
}
