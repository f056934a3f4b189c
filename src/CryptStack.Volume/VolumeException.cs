namespace CryptStack.Volume;

/// <summary>
/// The volume config cannot be created, read, unlocked or changed. The message says which file and
/// what the user can do; it never contains a passphrase, key file, recovery key or master key.
/// </summary>
public sealed class VolumeException : Exception
{
    public VolumeException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
