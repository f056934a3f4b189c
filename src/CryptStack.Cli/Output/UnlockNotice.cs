using System.Diagnostics;
using CryptStack.Crypto.Primitives;
using CryptStack.Volume;

namespace CryptStack.Cli.Output;

/// <summary>
/// What a user at a terminal sees while a passphrase KDF runs: "Unlocking DIR…" before it starts, and
/// the expected time when that is more than a second (an init with --kdf-memory 4194304 used to run
/// 110 s in silence). The estimate scales a 4 MiB Argon2id run timed here (a few milliseconds) by the
/// slot's memory × passes; KDFs that are all the same cost scale linearly in both.
/// </summary>
internal static class UnlockNotice
{
    public static void BeforeUnlock(string cipherDir)
    {
        if (!StandardStreams.StderrIsTerminal) return;
        double seconds = 0;
        try
        {
            seconds = CryptVolume.ReadInfo(cipherDir).Keyslots
                .Where(s => s.Kind == KeyslotKind.Passphrase)
                .Select(s => Estimate(Parameter(s, "memoryKiB"), Parameter(s, "iterations")))
                .DefaultIfEmpty(0).Max();
        }
        catch (VolumeException) { }
        Console.Error.WriteLine(seconds > 1 ? $"Unlocking {cipherDir}… (key derivation: about {seconds:0} s)" : $"Unlocking {cipherDir}…");
    }

    /// <summary>Before a new passphrase slot is derived (init, passwd, key add), when it takes more than a second.</summary>
    public static void BeforeDerive(KdfOptions options)
    {
        if (!StandardStreams.StderrIsTerminal || options.Algorithm != KdfNames.Argon2id) return;
        double seconds = Estimate(options.Argon2MemoryKiB, options.Argon2Iterations);
        if (seconds > 1)
            Console.Error.WriteLine($"Deriving the key (Argon2id, {options.Argon2MemoryKiB / 1024} MiB, {options.Argon2Iterations} passes): about {seconds:0} s…");
    }

    private static long Parameter(KeyslotInfo slot, string name) => slot.KdfParameters.FirstOrDefault(p => p.Key == name).Value;

    private static double Estimate(long memoryKiB, long iterations)
    {
        if (memoryKiB <= 0 || iterations <= 0) return 0;
        return memoryKiB * iterations / SampleRate.Value;
    }

    /// <summary>KiB × passes per second of this machine's Argon2id.</summary>
    private static readonly Lazy<double> SampleRate = new(() =>
    {
        const int sampleKiB = 4096;
        Span<byte> output = stackalloc byte[32];
        var clock = Stopwatch.StartNew();
        Argon2id.DeriveKey("estimate"u8, new byte[16], sampleKiB, 1, 1, output);
        return sampleKiB / Math.Max(clock.Elapsed.TotalSeconds, 1e-4);
    });
}
