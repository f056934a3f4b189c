namespace CryptStack.Cli.Tests.Harness;

/// <summary>A fact that needs a program that setup does not install (a peer filesystem); skipped, saying why, without it.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string program, string why)
    {
        if (!File.Exists(program)) Skip = $"needs {program}: {why}";
    }
}

/// <summary>A theory that needs a program; every case is skipped, saying why, without it.</summary>
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(string program, string why)
    {
        if (!File.Exists(program)) Skip = $"needs {program}: {why}";
    }
}
