using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CryptStack.Crypto;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Primitives;

namespace CryptStack.Volume;

/// <summary>
/// Keyslot wrapping: wrappedKey = AES-256-GCM(KEK, nonce, masterKey, AAD = volumeId || u32be(id) || ASCII(kind)).
/// The AAD ties a slot to its volume, position and kind, so a slot copied from another volume, renumbered
/// or relabelled does not unwrap.
/// </summary>
internal static class KeyslotCrypto
{
    public const int KekSize = 32;
    public const int PassphraseSaltSize = 16;
    public const int HkdfSaltSize = 32;

    // Bounds checked before any KDF runs, because the config is unauthenticated until a slot opens:
    // without them a tampered file could ask for terabytes of memory or years of iterations.
    public const int MaxMemoryKiB = 4 * 1024 * 1024;
    public const int MaxIterations = 64;
    public const int MaxParallelism = 16;

    public static readonly string[] Argon2Params = ["iterations", "memoryKiB", "parallelism"];
    public static readonly string[] ScryptParams = ["n", "p", "r"];

    public static Keyslot CreateSlot(int id, VolumeSecret secret, KdfOptions options, KeyHierarchy keys, DateTime nowUtc)
    {
        KdfSpec kdf = NewKdf(secret.Kind, options);
        using SecretKey kek = DeriveKek(kdf, secret.Kind, secret.Bytes);
        byte[] sealedKey = AesGcmEnvelope.Seal(kek.Span, keys.MasterKey, AssociatedData(keys.VolumeId, id, secret.Kind));
        byte[] nonce = sealedKey[..AesGcmEnvelope.NonceSize];
        byte[] wrapped = sealedKey[AesGcmEnvelope.NonceSize..];
        return new Keyslot(id, secret.Kind, VolumeConfigCodec.FormatTimestamp(nowUtc), kdf, nonce, wrapped);
    }

    /// <summary>Returns the master key if <paramref name="secret"/> opens <paramref name="slot"/>, else null.</summary>
    public static SecretKey? TryUnwrap(Keyslot slot, ReadOnlySpan<byte> volumeId, ReadOnlySpan<byte> secret)
    {
        using SecretKey kek = DeriveKek(slot.Kdf, slot.Kind, secret);
        byte[] sealedKey = [.. slot.Nonce, .. slot.WrappedKey];
        var master = new SecretKey(KeyHierarchy.MasterKeySize);
        try
        {
            AesGcmEnvelope.Open(kek.Span, sealedKey, AssociatedData(volumeId, slot.Id, slot.Kind), master.WritableSpan);
            return master;
        }
        catch (AuthenticationTagMismatchException)
        {
            master.Dispose();
            return null;
        }
    }

    public static byte[] AssociatedData(ReadOnlySpan<byte> volumeId, int slotId, KeyslotKind kind)
    {
        byte[] kindBytes = Encoding.ASCII.GetBytes(FormatConstants.KindName(kind));
        var aad = new byte[volumeId.Length + 4 + kindBytes.Length];
        volumeId.CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad.AsSpan(volumeId.Length), (uint)slotId);
        kindBytes.CopyTo(aad, volumeId.Length + 4);
        return aad;
    }

    private static KdfSpec NewKdf(KeyslotKind kind, KdfOptions options)
    {
        if (kind != KeyslotKind.Passphrase)
            return new KdfSpec(KdfNames.Hkdf, [], RandomNumberGenerator.GetBytes(HkdfSaltSize));
        byte[] salt = RandomNumberGenerator.GetBytes(PassphraseSaltSize);
        return options.Algorithm switch
        {
            KdfNames.Argon2id => new KdfSpec(KdfNames.Argon2id,
            [
                new("iterations", Check(options.Argon2Iterations, 1, MaxIterations, "Argon2 iterations")),
                new("memoryKiB", Check(options.Argon2MemoryKiB, 8 * options.Argon2Parallelism, MaxMemoryKiB, "Argon2 memory (KiB)")),
                new("parallelism", Check(options.Argon2Parallelism, 1, MaxParallelism, "Argon2 parallelism")),
            ], salt),
            KdfNames.Scrypt => new KdfSpec(KdfNames.Scrypt,
            [
                new("n", CheckScryptCost(options.ScryptCost)),
                new("p", Check(options.ScryptParallelism, 1, MaxParallelism, "scrypt p")),
                new("r", Check(options.ScryptBlockSize, 1, 64, "scrypt r")),
            ], salt),
            _ => throw new VolumeException(VolumeErrorKind.InvalidArgument, $"passphrase KDF '{options.Algorithm}' is not supported; use {KdfNames.Argon2id} or {KdfNames.Scrypt}"),
        };
    }

    private static long Check(long value, long min, long max, string what) =>
        value >= min && value <= max ? value : throw new VolumeException(VolumeErrorKind.InvalidArgument, $"{what} is {value}, outside {min}..{max}");

    private static long CheckScryptCost(long n) =>
        n >= 2 && n <= 1 << 24 && (n & (n - 1)) == 0 ? n : throw new VolumeException(VolumeErrorKind.InvalidArgument, $"scrypt N is {n}; it must be a power of two from 2 to 2^24");

    private static SecretKey DeriveKek(KdfSpec kdf, KeyslotKind kind, ReadOnlySpan<byte> secret)
    {
        var kek = new SecretKey(KekSize);
        switch (kdf.Name)
        {
            case KdfNames.Argon2id:
                Argon2id.DeriveKey(secret, kdf.Salt,
                    (int)kdf.Parameter("memoryKiB"), (int)kdf.Parameter("iterations"), (int)kdf.Parameter("parallelism"), kek.WritableSpan);
                break;
            case KdfNames.Scrypt:
                Scrypt.DeriveKey(secret, kdf.Salt, (int)kdf.Parameter("n"), (int)kdf.Parameter("r"), (int)kdf.Parameter("p"), kek.WritableSpan);
                break;
            case KdfNames.Hkdf:
                string label = kind == KeyslotKind.Recovery ? KeyLabels.RecoverySlot : KeyLabels.KeyFileSlot;
                HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, kek.WritableSpan, kdf.Salt, Encoding.ASCII.GetBytes(label));
                break;
            default:
                kek.Dispose();
                throw new VolumeException(VolumeErrorKind.Unsupported, $"keyslot KDF '{kdf.Name}' is not supported");
        }
        return kek;
    }
}
