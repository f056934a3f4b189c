using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace CryptStack.Crypto.Primitives;

/// <summary>Argon2id version 0x13 (RFC 9106) via BouncyCastle's managed implementation.</summary>
public static class Argon2id
{
    /// <summary>Derives <paramref name="output"/>.Length bytes. Memory is in KiB, as in RFC 9106.</summary>
    public static void DeriveKey(
        ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism,
        Span<byte> output, ReadOnlySpan<byte> secret = default, ReadOnlySpan<byte> associatedData = default)
    {
        var builder = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithMemoryAsKB(memoryKiB)
            .WithIterations(iterations)
            .WithParallelism(parallelism)
            .WithSalt(salt.ToArray());
        if (!secret.IsEmpty) builder.WithSecret(secret.ToArray());
        if (!associatedData.IsEmpty) builder.WithAdditional(associatedData.ToArray());
        Argon2Parameters parameters = builder.Build();
        // BouncyCastle 2.7 takes arrays only; the copies are pinned and zeroed below.
        // Pinned, so the GC leaves no copy of the passphrase behind before it is zeroed.
        byte[] passwordCopy = GC.AllocateArray<byte>(password.Length, pinned: true);
        password.CopyTo(passwordCopy);
        byte[] result = GC.AllocateArray<byte>(output.Length, pinned: true);
        try
        {
            var generator = new Argon2BytesGenerator();
            generator.Init(parameters);
            generator.GenerateBytes(passwordCopy, result);
            result.CopyTo(output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordCopy);
            CryptographicOperations.ZeroMemory(result);
            parameters.Clear();
        }
    }
}
