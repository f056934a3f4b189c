namespace CryptStack.Stack;

public sealed record StackOptions
{
    /// <summary>Cache backing paths of directories. Off for storage that other hosts change.</summary>
    public bool CacheDirectories { get; init; } = true;
}
