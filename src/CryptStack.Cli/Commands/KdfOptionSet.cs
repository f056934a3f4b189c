using System.CommandLine;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>
/// The cost of the passphrase KDF for slots a command creates. The defaults (Argon2id, 64 MiB, 3 passes)
/// suit a desktop; cheap machines and tests lower them. The parameters are stored in each slot.
/// </summary>
internal sealed class KdfOptionSet
{
    public Option<bool> Scrypt { get; } = new("--scrypt") { Description = "Derive the key with scrypt instead of Argon2id" };
    public Option<int?> MemoryKiB { get; } = new("--kdf-memory") { Description = "KDF memory in KiB (Argon2id default 65536; scrypt default 131072, rounded down to a power of two)", HelpName = "KIB" };
    public Option<int?> Iterations { get; } = new("--kdf-iterations") { Description = "Argon2id passes (default 3)", HelpName = "N" };
    public Option<int?> Parallelism { get; } = new("--kdf-parallelism") { Description = "Argon2id lanes or scrypt p (default 1)", HelpName = "N" };

    public void AddTo(Command command)
    {
        command.Options.Add(Scrypt);
        command.Options.Add(MemoryKiB);
        command.Options.Add(Iterations);
        command.Options.Add(Parallelism);
    }

    public KdfOptions Parse(ParseResult result)
    {
        int? memory = result.GetValue(MemoryKiB), iterations = result.GetValue(Iterations), lanes = result.GetValue(Parallelism);
        if (memory is <= 0 || iterations is <= 0 || lanes is <= 0)
            throw new CliException(ExitCodes.Usage, "KDF parameters must be positive numbers");
        var kdf = KdfOptions.Default;
        if (!result.GetValue(Scrypt))
        {
            return kdf with
            {
                Argon2MemoryKiB = memory ?? kdf.Argon2MemoryKiB,
                Argon2Iterations = iterations ?? kdf.Argon2Iterations,
                Argon2Parallelism = lanes ?? kdf.Argon2Parallelism,
            };
        }
        if (iterations != null)
            throw new CliException(ExitCodes.Usage, "--kdf-iterations is an Argon2id parameter; scrypt's cost is --kdf-memory");
        int cost = kdf.ScryptCost;
        if (memory is { } kib)
        {
            // scrypt uses 128 * N * r bytes.
            long n = kib * 1024L / (128L * kdf.ScryptBlockSize);
            if (n < 2) throw new CliException(ExitCodes.Usage, $"--kdf-memory {kib} is too small for scrypt (at least {2 * 128 * kdf.ScryptBlockSize / 1024} KiB)");
            cost = (int)Math.Min(1L << 24, 1L << (int)(63 - long.LeadingZeroCount(n)));
        }
        return kdf with { Algorithm = KdfNames.Scrypt, ScryptCost = cost, ScryptParallelism = lanes ?? kdf.ScryptParallelism };
    }
}
