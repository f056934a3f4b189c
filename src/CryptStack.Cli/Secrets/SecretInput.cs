using System.Text;
using CryptStack.Volume;

namespace CryptStack.Cli.Secrets;

/// <summary>
/// A secret as the user gave it, before it becomes a <see cref="VolumeSecret"/>: a passphrase's UTF-8
/// bytes (first line, no terminator), a key file's bytes, or a recovery key's text. Kept in a pinned
/// buffer zeroed on dispose, so it can also be handed to the mount daemon on its stdin.
/// </summary>
public sealed class SecretInput : IDisposable
{
    private readonly SecretBuffer _buffer;

    internal SecretInput(KeyslotKind kind, SecretBuffer buffer)
    {
        Kind = kind;
        _buffer = buffer;
    }

    public KeyslotKind Kind { get; }

    /// <summary>The raw secret; also the stdin payload for <see cref="DaemonArguments"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _buffer.Span;

    /// <summary>
    /// Arguments to append to a re-executed command (the mount daemon) whose stdin is <see cref="Bytes"/>:
    /// the child then reads exactly this secret from stdin instead of asking again.
    /// </summary>
    public IReadOnlyList<string> DaemonArguments => [SecretOptions.SecretStdinOption, SecretOptions.KindName(Kind)];

    /// <summary>The secret the volume library takes. Malformed input (empty passphrase, short key file, recovery key typo) throws <see cref="VolumeException"/>.</summary>
    public VolumeSecret ToVolumeSecret()
    {
        switch (Kind)
        {
            case KeyslotKind.Passphrase:
                return VolumeSecret.Passphrase(Bytes);
            case KeyslotKind.KeyFile:
                return VolumeSecret.KeyFile(Bytes);
            default:
                // The recovery key parser takes characters; the copy lives on the stack and is cleared.
                int length = Math.Min(Bytes.Length, 1024);
                Span<char> text = stackalloc char[length];
                try
                {
                    int chars = Encoding.Latin1.GetChars(Bytes[..length], text);
                    return VolumeSecret.Recovery(text[..chars]);
                }
                finally
                {
                    text.Clear();
                }
        }
    }

    public override string ToString() => $"SecretInput({Kind}, redacted)";

    public void Dispose() => _buffer.Dispose();
}
