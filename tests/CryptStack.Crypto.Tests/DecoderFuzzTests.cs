using System.Diagnostics;
using System.Text;
using CryptStack.Crypto.Content;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Names;
using CryptStack.Volume;

namespace CryptStack.Crypto.Tests;

/// <summary>
/// Issue #14, hostile input: a seeded mutation loop over every decoder that reads bytes an attacker can
/// write into the backing directory or hand the CLI (config, content header, content blocks, names,
/// long-name sidecars, link targets, xattr names and values, cs.dirid, recovery keys, cs.recovery).
/// Structured seeds (valid encodings) get bit flips, byte changes, truncation, extension, splices and
/// length-field-sized values. Each decoder may only throw its documented exception; nothing may hang
/// (each case is timed) or allocate far beyond its input (no buffer sized by a length field).
/// The seed is printed; CRYPTSTACK_FUZZ_SEED and CRYPTSTACK_FUZZ_CASES rerun or lengthen a run.
/// scripts/fuzz.sh runs the same loop for as long as asked.
/// </summary>
public sealed class DecoderFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly byte[] MasterKey = Enumerable.Range(0x40, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] VolumeId = Enumerable.Range(0x90, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] DirId = Enumerable.Range(0x20, 16).Select(i => (byte)i).ToArray();

    private int Seed => int.TryParse(Environment.GetEnvironmentVariable("CRYPTSTACK_FUZZ_SEED"), out int s) ? s : 20261203;
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("CRYPTSTACK_FUZZ_CASES"), out int c) ? c : 1500;

    /// <summary>One decoder under fuzz: its seeds, how to run it on bytes, and the exceptions it documents.</summary>
    private sealed record Target(string Name, byte[][] Seeds, Action<byte[]> Decode, params Type[] Allowed);

    private static IEnumerable<Target> Targets(KeyHierarchy keys, string scratch)
    {
        var names = NameCodec.FromKeys(keys);
        var links = LinkTargetCodec.FromKeys(keys);
        var xattrs = XattrCodec.FromKeys(keys);
        var headerKey = keys.DeriveContentHeaderKey();

        var contentSeeds = new List<byte[]>();
        foreach (int length in new[] { 1, 4096, 4097, 9000 })
        {
            var store = new MemoryStore();
            using (var file = ContentFile.Create(store, headerKey)) file.Write(Encoding.ASCII.GetBytes(new string('c', length)), 0);
            var bytes = new byte[store.Length];
            store.ReadAt(bytes, 0);
            contentSeeds.Add(bytes);
        }
        yield return new Target("content header", [.. contentSeeds.Select(c => c[..ContentLayout.HeaderSize])], b =>
        {
            Span<byte> id = stackalloc byte[ContentHeader.FileIdSize];
            ContentHeader.Open(b, headerKey, id).Dispose();
        }, typeof(ContentIntegrityException));
        yield return new Target("content file", [.. contentSeeds], b =>
        {
            var store = new MemoryStore();
            store.WriteAt(b, 0);
            using var file = ContentFile.Open(store, headerKey);
            var buffer = new byte[16384];
            file.Read(buffer, 0);
            file.Read(buffer, 4000);
        }, typeof(ContentIntegrityException));

        string[] plainNames = ["a", "file.txt", new string('n', 200), "ünïcödé"];
        yield return new Target("name", [.. plainNames.Select(n => Encoding.ASCII.GetBytes(names.Encrypt(n, DirId)))],
            b => names.Decrypt(Encoding.Latin1.GetString(b), DirId), typeof(CiphertextFormatException));
        string longEncoded = names.Encrypt(new string('L', 240), DirId);
        string longName = BackingNames.BackingNameFor(longEncoded);
        yield return new Target("long-name sidecar", [BackingNames.SidecarContentFor(longEncoded)],
            b => BackingNames.EncodedNameFromSidecar(longName, b), typeof(CiphertextFormatException));
        yield return new Target("link target", [Encoding.ASCII.GetBytes(links.Encrypt("../target"u8)), Encoding.ASCII.GetBytes(links.Encrypt(Encoding.UTF8.GetBytes(new string('t', 3000))))],
            b => links.Decrypt(Encoding.Latin1.GetString(b)), typeof(CiphertextFormatException));
        string xattrName = xattrs.EncryptName("user.comment");
        yield return new Target("xattr name", [Encoding.ASCII.GetBytes(xattrName)],
            b => xattrs.DecryptName(Encoding.Latin1.GetString(b)), typeof(CiphertextFormatException));
        yield return new Target("xattr value", [xattrs.EncryptValue("some value"u8, xattrName), xattrs.EncryptValue(new byte[3000], xattrName)],
            b => xattrs.DecryptValue(b, xattrName), typeof(CiphertextFormatException));
        yield return new Target("cs.dirid", [DirId], b => DirectoryId.Parse(b, "cs.dirid"), typeof(CiphertextFormatException));

        var created = CryptVolume.Create(scratch, VolumeSecret.Passphrase("fuzz"u8.ToArray()), new KdfOptions { Argon2MemoryKiB = 64, Argon2Iterations = 1 });
        created.Volume.Dispose();
        string recoveryText = created.RecoveryKey.ToString()!;
        yield return new Target("recovery key", [Encoding.ASCII.GetBytes(recoveryText)],
            b => RecoveryKey.Parse(Encoding.Latin1.GetString(b)), typeof(VolumeException));
        yield return new Target("config", [File.ReadAllBytes(CryptVolume.ConfigPathFor(scratch))],
            b => VolumeConfigCodec.Parse(b, "cryptstack.conf"), typeof(VolumeException));
        string recoveryPath = RecoveryRecord.PathFor(scratch);
        if (File.Exists(recoveryPath))
        {
            string other = Path.Combine(scratch, "rr");
            Directory.CreateDirectory(other);
            yield return new Target("cs.recovery", [File.ReadAllBytes(recoveryPath)], b =>
            {
                File.WriteAllBytes(RecoveryRecord.PathFor(other), b);
                RecoveryRecord.Read(other);
            }, typeof(VolumeException));
        }
    }

    [Fact]
    public void Every_decoder_survives_mutated_input_with_only_its_documented_exception()
    {
        int seed = Seed, cases = Cases;
        output.WriteLine($"fuzz seed {seed}, {cases} cases per decoder (CRYPTSTACK_FUZZ_SEED / CRYPTSTACK_FUZZ_CASES)");
        string scratch = Directory.CreateTempSubdirectory("cs-fuzz-").FullName;
        using var keys = new KeyHierarchy(MasterKey, VolumeId);
        var failures = new List<string>();
        try
        {
            foreach (var target in Targets(keys, scratch))
            {
                var random = new Random(seed ^ target.Name.GetHashCode(StringComparison.Ordinal));
                int rejected = 0;
                for (int i = 0; i < cases && failures.Count < 20; i++)
                {
                    byte[] input = Mutate(target.Seeds[random.Next(target.Seeds.Length)], random);
                    string? problem = RunOne(target, input, ref rejected);
                    if (problem != null) failures.Add($"{target.Name} case {i} ({Convert.ToHexString(input.AsSpan(0, Math.Min(48, input.Length)))}…, {input.Length} bytes): {problem}");
                }
                output.WriteLine($"{target.Name}: {cases} cases, {rejected} rejected with the documented exception");
            }
        }
        finally { Directory.Delete(scratch, recursive: true); }
        Assert.True(failures.Count == 0, $"seed {seed}:\n" + string.Join("\n", failures));
    }

    private static string? RunOne(Target target, byte[] input, ref int rejected)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try { target.Decode(input); }
        catch (Exception e) when (target.Allowed.Any(t => t.IsInstanceOfType(e))) { rejected++; }
        catch (Exception e) { return $"undocumented {e.GetType().Name}: {e.Message}"; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Decoding may copy and decrypt its input a few times, never size a buffer by a field inside it.
        if (allocated > 1_000_000 + 64L * input.Length) return $"allocated {allocated} bytes for {input.Length} bytes of input";
        if (clock.Elapsed > TimeSpan.FromSeconds(2)) return $"took {clock.Elapsed.TotalSeconds:F1} s";
        return null;
    }

    /// <summary>One structured mutation of a valid encoding.</summary>
    internal static byte[] Mutate(byte[] seed, Random random)
    {
        var b = new List<byte>(seed);
        int rounds = 1 + random.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            int pos = b.Count == 0 ? 0 : random.Next(b.Count);
            switch (random.Next(9))
            {
                case 0 when b.Count > 0: b[pos] ^= (byte)(1 << random.Next(8)); break;
                case 1 when b.Count > 0: b[pos] = (byte)random.Next(256); break;
                case 2: b.RemoveRange(pos, Math.Min(b.Count - pos, 1 + random.Next(16))); break;
                case 3: b.Insert(pos, (byte)random.Next(256)); break;
                case 4: b.RemoveRange(pos, b.Count - pos); break; // truncate
                case 5: b.AddRange(Enumerable.Range(0, 1 + random.Next(300)).Select(_ => (byte)random.Next(256))); break;
                case 6 when b.Count >= 4: // a length-sized value: 0xFF.. or a large little/big-endian int
                    int at = random.Next(b.Count - 3);
                    byte[] big = random.Next(2) == 0 ? [0xFF, 0xFF, 0xFF, 0x7F] : [0x7F, 0xFF, 0xFF, 0xFF];
                    for (int k = 0; k < 4; k++) b[at + k] = big[k];
                    break;
                case 7 when b.Count > 1: // splice a copy of one part over another
                    int from = random.Next(b.Count), to = random.Next(b.Count), len = Math.Min(1 + random.Next(32), Math.Min(b.Count - from, b.Count - to));
                    var part = b.GetRange(from, len);
                    for (int k = 0; k < len; k++) b[to + k] = part[k];
                    break;
                case 8 when b.Count > 0: b[pos] = (byte)"\0\"\\{}[]:,/.-_=+ \n\xff\x80"[random.Next(17)]; break;
            }
        }
        return [.. b];
    }
}
