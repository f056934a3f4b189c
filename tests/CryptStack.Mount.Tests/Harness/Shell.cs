using System.Diagnostics;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>Runs ordinary programs (setpriv, dd, fusermount3) the way a user would.</summary>
public static class Shell
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}: {StdErr}{StdOut}";
    }

    public static Result Run(string file, params string[] args) => Run(file, args, TimeSpan.FromSeconds(60));

    public static Result Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>`sh -c SCRIPT` as uid/gid 65534 (nobody) with no supplementary groups.</summary>
    public static Result AsNobody(string script) =>
        Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script);

    /// <summary>Single-quotes a path for sh.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
