using CryptStack.Stack;
using CryptStack.Volume;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

public sealed record EncryptionOptions
{
    /// <summary>Storage shared with other hosts: take byte-range locks, re-read headers, cache nothing.</summary>
    public bool SharedStorage { get; init; }
}

/// <summary>
/// The encryption layer: fills the stack's three extension points from an unlocked volume.
/// Dispose zeroes every key it derived.
/// </summary>
public sealed class EncryptionLayer : IDisposable
{
    public StackTransforms Transforms { get; }

    public EncryptionLayer(UnlockedVolume volume, string cipherRoot, ILoggerFactory loggers, EncryptionOptions options)
    {
        throw new NotImplementedException("encryption layer: in progress");
    }

    public void Dispose()
    {
    }
}
