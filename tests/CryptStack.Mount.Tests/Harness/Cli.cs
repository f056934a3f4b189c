using System.Diagnostics;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>Runs the built `cryptstack` executable (copied next to the tests by the project reference).</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static string Executable
    {
        get
        {
            string dir = AppContext.BaseDirectory;
            string apphost = Path.Combine(dir, "cryptstack");
            return File.Exists(apphost) ? apphost : throw new FileNotFoundException("cryptstack not built next to the tests", apphost);
        }
    }

    /// <param name="launcher">A command that runs cryptstack, such as `prlimit --nofile=N:N --`; null: run it directly.</param>
    public static Result Run(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? env = null,
        IReadOnlyList<string>? launcher = null)
    {
        var psi = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (string a in launcher.Skip(1)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(Executable);
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cryptstack {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result RunOk(params string[] args)
    {
        var r = Run(args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"cryptstack {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
        return r;
    }
}
