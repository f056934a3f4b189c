using System.Text;
using CryptStack.Crypto;

namespace CryptStack.Volume;

/// <summary>
/// A secret that may open a keyslot of one kind. Held in a pinned buffer zeroed on dispose;
/// ToString never shows it. Passphrases are their UTF-8 bytes, without Unicode normalisation.
/// </summary>
public sealed class VolumeSecret : IDisposable
{
    /// <summary>A key file shorter than this is refused: it would be weaker than the key it protects.</summary>
    public const int MinKeyFileBytes = 32;

    public const int MaxKeyFileBytes = 1 << 20;

    private readonly SecretKey _bytes;

    private VolumeSecret(KeyslotKind kind, SecretKey bytes)
    {
        Kind = kind;
        _bytes = bytes;
    }

    public KeyslotKind Kind { get; }

    internal ReadOnlySpan<byte> Bytes => _bytes.Span;

    public static VolumeSecret Passphrase(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) throw new VolumeException(VolumeErrorKind.InvalidSecret, "passphrase is empty");
        return new VolumeSecret(KeyslotKind.Passphrase, new SecretKey(utf8));
    }

    public static VolumeSecret Passphrase(ReadOnlySpan<char> passphrase)
    {
        if (passphrase.IsEmpty) throw new VolumeException(VolumeErrorKind.InvalidSecret, "passphrase is empty");
        var bytes = new SecretKey(Encoding.UTF8.GetByteCount(passphrase));
        Encoding.UTF8.GetBytes(passphrase, bytes.WritableSpan);
        return new VolumeSecret(KeyslotKind.Passphrase, bytes);
    }

    /// <summary>The contents of a passphrase file: the first line, without its "\n" or "\r\n".</summary>
    public static VolumeSecret PassphraseFromFile(ReadOnlySpan<byte> fileContent)
    {
        int end = fileContent.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = end < 0 ? fileContent : fileContent[..end];
        if (line.EndsWith("\r"u8)) line = line[..^1];
        return Passphrase(line);
    }

    /// <summary>A key file: all of its bytes are the secret.</summary>
    public static VolumeSecret KeyFile(ReadOnlySpan<byte> content)
    {
        if (content.Length < MinKeyFileBytes)
            throw new VolumeException(VolumeErrorKind.InvalidSecret, $"key file is {content.Length} bytes; at least {MinKeyFileBytes} are required");
        if (content.Length > MaxKeyFileBytes)
            throw new VolumeException(VolumeErrorKind.InvalidSecret, $"key file is {content.Length} bytes; at most {MaxKeyFileBytes} are allowed");
        return new VolumeSecret(KeyslotKind.KeyFile, new SecretKey(content));
    }

    /// <summary>A recovery key in its human form; typos raise <see cref="VolumeException"/> here.</summary>
    public static VolumeSecret Recovery(ReadOnlySpan<char> humanForm)
    {
        using RecoveryKey key = RecoveryKey.Parse(humanForm);
        return Recovery(key);
    }

    public static VolumeSecret Recovery(RecoveryKey key) => new(KeyslotKind.Recovery, new SecretKey(key.Bytes));

    public override string ToString() => $"VolumeSecret({Kind}, redacted)";

    public void Dispose() => _bytes.Dispose();
}
