namespace CryptStack.Mount.Tests.Harness;

/// <summary>A fact that needs root (bind mounts, device nodes); reported as skipped, with why, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string why)
    {
        if (LibC.GetEuid() != 0) Skip = "needs root: " + why;
    }
}
