namespace CryptStack.Offline;

/// <summary>Why an offline tool cannot run or cannot find what it was asked for.</summary>
public enum OfflineErrorKind
{
    /// <summary>The ciphertext directory cannot be read as a volume (its root directory id, say).</summary>
    Unreadable,
    /// <summary>A plaintext or ciphertext path given by the user does not exist in the volume.</summary>
    NoSuchPath,
    /// <summary>The restore destination is not empty and overwriting was not asked for.</summary>
    DestinationNotEmpty,
    /// <summary>The restore destination cannot be created or written.</summary>
    Destination,
    /// <summary>What was asked for is damaged in the ciphertext.</summary>
    Damaged,
    /// <summary>A path of the wrong kind (cat of a directory, say) or a malformed one.</summary>
    InvalidPath,
}

/// <summary>A failure with a message a user can act on; never contains key material.</summary>
public sealed class OfflineException(OfflineErrorKind kind, string message) : Exception(message)
{
    public OfflineErrorKind Kind { get; } = kind;
}
