namespace CryptStack.Crypto.Names;

/// <summary>
/// A backing name, long-name sidecar, link target or xattr could not be decrypted: it is malformed,
/// belongs to another directory or volume, or was modified. The mount answers EIO (or hides the entry).
/// Messages name the ciphertext object, never key material or plaintext.
/// </summary>
public class CiphertextFormatException : Exception
{
    public CiphertextFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

public sealed class NameDecryptionException(string message, Exception? inner = null) : CiphertextFormatException(message, inner);

public sealed class LinkTargetDecryptionException(string message, Exception? inner = null) : CiphertextFormatException(message, inner);

public sealed class XattrDecryptionException(string message, Exception? inner = null) : CiphertextFormatException(message, inner);

/// <summary>The cs.dirid file of a backing directory is missing bytes or has extra ones.</summary>
public sealed class DirectoryIdException(string message, Exception? inner = null) : CiphertextFormatException(message, inner);

/// <summary>Why a plaintext name cannot be stored; the mount maps <see cref="TooLong"/> to ENAMETOOLONG, the rest to EINVAL.</summary>
public enum InvalidNameReason
{
    Empty,
    DotOrDotDot,
    ContainsSlash,
    ContainsNul,
    TooLong,
}

public sealed class InvalidPlaintextNameException(InvalidNameReason reason, string message)
    : ArgumentException(message)
{
    public InvalidNameReason Reason { get; } = reason;
}

/// <summary>The xattr is outside the user namespace or too long to encrypt; the mount answers ENOTSUP or ERANGE.</summary>
public sealed class UnsupportedXattrNameException(string message, bool tooLong = false) : ArgumentException(message)
{
    public bool TooLong { get; } = tooLong;
}
