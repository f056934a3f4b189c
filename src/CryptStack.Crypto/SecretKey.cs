using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CryptStack.Crypto;

/// <summary>
/// Key material in a pinned, mlock'ed buffer that is zeroed on dispose. Pinning keeps the GC from leaving
/// copies behind when it compacts the heap, locking keeps it out of swap (<see cref="KeyMemory"/>);
/// ToString never shows the bytes.
/// </summary>
public sealed class SecretKey : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    public SecretKey(int length)
    {
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
        KeyMemory.Lock(_bytes);
    }

    /// <summary>Copies <paramref name="source"/>; the caller stays responsible for zeroing its own copy.</summary>
    public SecretKey(ReadOnlySpan<byte> source) : this(source.Length)
    {
        source.CopyTo(_bytes);
    }

    public static SecretKey Random(int length)
    {
        var key = new SecretKey(length);
        RandomNumberGenerator.Fill(key._bytes);
        return key;
    }

    public int Length => _bytes.Length;

    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>Writable view, for filling the key in place (KDF output, unwrap).</summary>
    public Span<byte> WritableSpan
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public override string ToString() => $"SecretKey({_bytes.Length} bytes, redacted)";

    public void Dispose()
    {
        if (_disposed) return;
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
