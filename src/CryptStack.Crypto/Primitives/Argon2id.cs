using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace CryptStack.Crypto.Primitives;

/// <summary>
/// Argon2id version 0x13 (RFC 9106). Keyslot parameters (one lane, 16-byte salt, no secret or associated
/// data) go to libsodium through NSec: native and vectorised, several times faster than the managed
/// implementation (bench/unlock.sh), which buys either a faster unlock or a costlier KDF in the same time.
/// Everything libsodium does not take (several lanes, other salt sizes, a secret, associated data: the
/// RFC's vectors) and any machine where the native library cannot load use BouncyCastle. Both give the
/// same bytes (Argon2idTests checks them against each other).
/// </summary>
public static class Argon2id
{
    private const int SodiumSaltSize = 16;

    /// <summary>Derives <paramref name="output"/>.Length bytes. Memory is in KiB, as in RFC 9106.</summary>
    public static void DeriveKey(
        ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism,
        Span<byte> output, ReadOnlySpan<byte> secret = default, ReadOnlySpan<byte> associatedData = default)
    {
        if (secret.IsEmpty && associatedData.IsEmpty && TryDeriveNative(password, salt, memoryKiB, iterations, parallelism, output))
            return;
        DeriveKeyManaged(password, salt, memoryKiB, iterations, parallelism, output, secret, associatedData);
    }

    /// <summary>Whether libsodium (through NSec) loaded on this machine; false means every derivation is managed.</summary>
    public static bool NativeAvailable => Native.Value;

    private static readonly Lazy<bool> Native = new(() =>
    {
        try
        {
            _ = NSec.Cryptography.PasswordBasedKeyDerivationAlgorithm.Argon2id(new NSec.Cryptography.Argon2Parameters
            {
                DegreeOfParallelism = 1, MemorySize = 8, NumberOfPasses = 1,
            });
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or InvalidOperationException or BadImageFormatException)
        {
            return false;
        }
    });

    internal static bool TryDeriveNative(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism, Span<byte> output)
    {
        if (parallelism != 1 || salt.Length != SodiumSaltSize || output.Length < 16 || !NativeAvailable) return false;
        NSec.Cryptography.PasswordBasedKeyDerivationAlgorithm algorithm;
        try
        {
            algorithm = NSec.Cryptography.PasswordBasedKeyDerivationAlgorithm.Argon2id(new NSec.Cryptography.Argon2Parameters
            {
                DegreeOfParallelism = 1,
                MemorySize = memoryKiB,
                NumberOfPasses = iterations,
            });
        }
        catch (ArgumentException)
        {
            return false; // outside libsodium's limits (e.g. under 8 KiB): the managed path takes it
        }
        // libsodium reads the password and writes the output in place: no managed copy to zero.
        algorithm.DeriveBytes(password, salt, output);
        return true;
    }

    /// <summary>BouncyCastle's managed Argon2id: any parameters, secret and associated data included.</summary>
    internal static void DeriveKeyManaged(
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
