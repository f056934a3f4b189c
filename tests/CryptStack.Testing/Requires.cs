namespace CryptStack.Testing;

/// <summary>
/// Conditions found out while a test runs (a tool missing, a stressor that cannot run here). They end
/// the test as skipped with the reason, which the summary counts, instead of a silent early return that
/// counts as passed. Only tests marked <c>[SkippableFact]</c> or <c>[SkippableTheory]</c> may call them;
/// elsewhere the skip would be reported as a failure.
/// </summary>
public static class Requires
{
    public static bool IsRoot { get; } =
        File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";

    /// <summary>Skips unless running as root.</summary>
    public static void Root(string why) => Skip.IfNot(IsRoot, "needs root: " + why);

    /// <summary>Skips unless <paramref name="command"/> is an executable on PATH (or an absolute path that exists).</summary>
    public static void Tool(string command, string why) =>
        Skip.IfNot(FindOnPath(command) != null, $"needs {command} ({why}); not found on PATH");

    /// <summary>Skips with <paramref name="reason"/> when <paramref name="condition"/> holds.</summary>
    public static void Not(bool condition, string reason) => Skip.If(condition, reason);

    public static string? FindOnPath(string command)
    {
        if (command.Contains('/')) return File.Exists(command) ? command : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
