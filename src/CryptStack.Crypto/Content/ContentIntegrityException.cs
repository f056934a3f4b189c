namespace CryptStack.Crypto.Content;

/// <summary>
/// A content file's ciphertext is not what a writer holding the key produced: a block fails
/// authentication, a data block was zeroed, blocks were cut off or swapped, or the header is damaged.
/// The mount layer reports it as EIO. Messages name the block, never key or plaintext bytes.
/// </summary>
public class ContentIntegrityException : IOException
{
    public ContentIntegrityException(string message, long? blockIndex = null, Exception? inner = null)
        : base(message, inner)
    {
        BlockIndex = blockIndex;
    }

    /// <summary>The damaged block, or null when the damage is in the header.</summary>
    public long? BlockIndex { get; }
}

/// <summary>The header is missing, truncated, of another format or version, or does not open under the given key.</summary>
public sealed class ContentHeaderException : ContentIntegrityException
{
    public ContentHeaderException(string message, Exception? inner = null) : base(message, null, inner)
    {
    }
}
