namespace CryptStack.Stack;

public sealed record StackOptions
{
    /// <summary>Cache backing paths of directories. Off for storage that other hosts change.</summary>
    public bool CacheDirectories { get; init; } = true;

    /// <summary>
    /// How long an opened backing directory is reused before its path is resolved again: changes made
    /// to the backing tree behind the mount's back are seen after this, as the kernel's entry cache does.
    /// </summary>
    public TimeSpan DirectoryCacheLifetime { get; init; } = TimeSpan.FromSeconds(1);
}
