namespace CryptStack.Volume;

/// <summary>Passphrase KDF choice for new passphrase slots; the parameters are recorded in the slot.</summary>
public sealed record KdfOptions
{
    /// <summary>Argon2id, 64 MiB, 3 passes, 1 lane: RFC 9106's second recommended option uses t=3, m=64 MiB.</summary>
    public static KdfOptions Default { get; } = new();

    /// <summary><see cref="KdfNames.Argon2id"/> or <see cref="KdfNames.Scrypt"/>.</summary>
    public string Algorithm { get; init; } = KdfNames.Argon2id;

    public int Argon2MemoryKiB { get; init; } = 64 * 1024;
    public int Argon2Iterations { get; init; } = 3;
    public int Argon2Parallelism { get; init; } = 1;

    /// <summary>scrypt N = 2^17, r = 8, p = 1: 128 MiB, the parameters age and others use interactively.</summary>
    public int ScryptCost { get; init; } = 1 << 17;
    public int ScryptBlockSize { get; init; } = 8;
    public int ScryptParallelism { get; init; } = 1;
}
