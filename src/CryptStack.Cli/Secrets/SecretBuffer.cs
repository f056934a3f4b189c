using System.Security.Cryptography;

namespace CryptStack.Cli.Secrets;

/// <summary>
/// A growable byte buffer for secrets being read: pinned (the GC cannot leave copies behind when it
/// compacts) and zeroed when it grows and when disposed.
/// </summary>
internal sealed class SecretBuffer : IDisposable
{
    private byte[] _bytes;

    public SecretBuffer(int capacity = 256) => _bytes = GC.AllocateArray<byte>(Math.Max(capacity, 16), pinned: true);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

    public void Append(byte value)
    {
        EnsureCapacity(Length + 1);
        _bytes[Length++] = value;
    }

    /// <summary>Space to read into; call <see cref="Advance"/> with the number of bytes written.</summary>
    public Span<byte> GetFreeSpan(int atLeast)
    {
        EnsureCapacity(Length + atLeast);
        return _bytes.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    /// <summary>Keeps the first <paramref name="length"/> bytes and zeroes the rest.</summary>
    public void Truncate(int length)
    {
        CryptographicOperations.ZeroMemory(_bytes.AsSpan(length, Length - length));
        Length = length;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _bytes.Length) return;
        byte[] bigger = GC.AllocateArray<byte>(Math.Max(needed, _bytes.Length * 2), pinned: true);
        _bytes.AsSpan(0, Length).CopyTo(bigger);
        CryptographicOperations.ZeroMemory(_bytes);
        _bytes = bigger;
    }

    public override string ToString() => $"SecretBuffer({Length} bytes, redacted)";

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        Length = 0;
    }
}
