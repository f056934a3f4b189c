namespace CryptStack.Testing;

/// <summary>A fact that needs root (bind mounts, allow_other, device nodes, /sbin); reported as skipped, with why, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string why)
    {
        if (!Requires.IsRoot) Skip = "needs root: " + why;
    }
}

/// <summary>A theory that needs root; every case is reported as skipped, with why, otherwise.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute(string why)
    {
        if (!Requires.IsRoot) Skip = "needs root: " + why;
    }
}
