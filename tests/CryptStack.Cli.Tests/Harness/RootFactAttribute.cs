namespace CryptStack.Cli.Tests.Harness;

/// <summary>A fact that needs root (it installs into /sbin, mounts through util-linux mount); skipped, saying why, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string why)
    {
        if (!IsRoot) Skip = "needs root: " + why;
    }

    public static bool IsRoot =>
        File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
}
