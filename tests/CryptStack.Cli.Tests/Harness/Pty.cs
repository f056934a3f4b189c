using System.Diagnostics;

namespace CryptStack.Cli.Tests.Harness;

/// <summary>
/// Runs cryptstack on a pseudo-terminal (util-linux's `script`), as a user at a terminal does, with
/// TERM=xterm so that anything that initialises the terminal has terminfo strings to send.
/// </summary>
public static class Pty
{
    public const string Script = "/usr/bin/script";

    /// <summary>Everything the terminal received (stdout and stderr, raw), then "exit=N". Each line is typed after a pause.</summary>
    public static string Run(string[] args, params string[] lines)
    {
        string command = string.Join(' ', new[] { Mount.Tests.Harness.Cli.Executable }.Concat(args).Select(Quote)) + "; echo exit=$?";
        // Typeahead would be echoed before a prompt turns echo off: type each line after a pause.
        string typing = string.Concat(lines.Select(l => $"sleep 1.5; echo {Quote(l)}; ")) + (lines.Length > 0 ? "sleep 3" : "sleep 0.5");
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["TERM"] = "xterm";
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"({typing}) | {Script} -qec \"$0\" /dev/null");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
