namespace CryptStack.Volume;

/// <summary>What went wrong, so a caller (the CLI's exit codes) can tell failures apart without parsing messages.</summary>
public enum VolumeErrorKind
{
    Other,
    /// <summary>There is no cryptstack.conf (or .bak) where a volume was expected.</summary>
    NotAVolume,
    /// <summary>The secret is well formed but opens no keyslot, or the volume has no slot of its kind.</summary>
    WrongSecret,
    /// <summary>The secret itself is unusable: empty passphrase, key file too short or long, recovery key typo.</summary>
    InvalidSecret,
    /// <summary>cryptstack.conf is malformed or fails its MAC.</summary>
    CorruptConfig,
    /// <summary>A format version, cipher suite, feature or KDF this CryptStack does not know.</summary>
    Unsupported,
    /// <summary>The change would lock the volume (last slot) or exceed a limit (slot count).</summary>
    Refused,
    /// <summary>A bad argument: no such slot, KDF parameters out of range, a directory that does not exist.</summary>
    InvalidArgument,
    /// <summary>A new volume was asked for in a directory that is not empty.</summary>
    DirectoryNotEmpty,
    /// <summary>The config could not be read or written.</summary>
    Io,
}

/// <summary>
/// The volume config cannot be created, read, unlocked or changed. The message says which file and
/// what the user can do; it never contains a passphrase, key file, recovery key or master key.
/// </summary>
public sealed class VolumeException : Exception
{
    public VolumeException(string message, Exception? inner = null) : this(VolumeErrorKind.Other, message, inner)
    {
    }

    public VolumeException(VolumeErrorKind kind, string message, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
    }

    public VolumeErrorKind Kind { get; }
}
