using System.Security.Cryptography;

namespace CryptStack.Crypto.Primitives;

/// <summary>scrypt (RFC 7914) via BouncyCastle; offered as an alternative passphrase KDF to Argon2id.</summary>
public static class Scrypt
{
    public static void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int cost, int blockSize, int parallelism, Span<byte> output)
    {
        // Pinned, so the GC leaves no copy of the passphrase behind before it is zeroed.
        byte[] passwordCopy = GC.AllocateArray<byte>(password.Length, pinned: true);
        password.CopyTo(passwordCopy);
        byte[]? derived = null;
        try
        {
            derived = Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(passwordCopy, salt.ToArray(), cost, blockSize, parallelism, output.Length);
            derived.CopyTo(output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordCopy);
            if (derived is not null) CryptographicOperations.ZeroMemory(derived);
        }
    }
}
