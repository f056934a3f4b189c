namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// The checks of two writers on two mounts of one CIPHERDIR (as two hosts on shared storage), run on
/// local mounts by EncryptedSharingTests and across two GlusterFS clients by GlusterSharingTests.
/// Each returns what went wrong, or an empty list.
/// </summary>
public static class TwoWriterChecks
{
    /// <summary>
    /// Two writers put interleaved records into one file, A the first half of each record and B the second,
    /// in a scrambled order: every 4 KiB block is read-modify-written by both mounts at once, so without a lock
    /// across mounts (and fresh bytes under it) one mount's write of a block puts back the other's stale bytes.
    /// </summary>
    public static List<string> InterleavedRecords(string mountA, string mountB, Func<string> freshMount, int records = 600, int half = 50)
    {
        int recordSize = 2 * half;
        string name = "records.bin";
        File.WriteAllBytes(Path.Combine(mountA, name), new byte[records * recordSize]);
        var errors = new List<string>();
        void Writer(string mountPoint, int start, byte value)
        {
            using var fs = new FileStream(Path.Combine(mountPoint, name), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            var chunk = Enumerable.Repeat(value, half).ToArray();
            foreach (int i in Enumerable.Range(0, records).OrderBy(x => (x * 7919) % records))
            {
                fs.Position = (long)i * recordSize + start;
                try { fs.Write(chunk); }
                catch (IOException e) { lock (errors) errors.Add($"{mountPoint}: write of record {i}: {e.Message}"); }
            }
        }
        Task.WaitAll(Task.Run(() => Writer(mountA, 0, 0xAA)), Task.Run(() => Writer(mountB, half, 0xBB)));

        foreach (string mount in new[] { mountA, mountB, freshMount() })
        {
            byte[] data;
            try { data = File.ReadAllBytes(Path.Combine(mount, name)); }
            catch (IOException e) { errors.Add($"{mount}: read: {e.Message}"); continue; }
            int lostA = 0, lostB = 0;
            for (int i = 0; i < records; i++)
            {
                if (data.AsSpan(i * recordSize, half).ContainsAnyExcept((byte)0xAA)) lostA++;
                if (data.AsSpan(i * recordSize + half, half).ContainsAnyExcept((byte)0xBB)) lostB++;
            }
            if (lostA + lostB > 0) errors.Add($"{mount}: {lostA} of A's and {lostB} of B's {records} records lost or torn");
        }
        return errors;
    }

    /// <summary>
    /// Two writers each put <paramref name="writes"/> 4 KiB writes at unaligned offsets into one file of
    /// 25 blocks that mount A created, each write filled with one byte value of its own (never 0). Afterwards
    /// the file must read without error, byte for byte the same through A, B and a fresh mount, and
    /// every byte some write covered must be non-zero (no block went back to an older version of itself
    /// from before that byte's first write). No write may fail.
    /// </summary>
    public static List<string> UnalignedWrites(string mountA, string mountB, Func<string> freshMount, int writes = 4000)
    {
        const int blocks = 25, size = 4096;
        string name = "unaligned.bin";
        File.WriteAllBytes(Path.Combine(mountA, name), new byte[blocks * size]);
        var errors = new List<string>();
        var covered = new bool[blocks * size];
        void Writer(string mountPoint, int writer)
        {
            var random = new Random(writer);
            var chunk = new byte[size];
            using var fs = new FileStream(Path.Combine(mountPoint, name), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            for (int seq = 0; seq < writes; seq++)
            {
                int offset = random.Next(0, (blocks - 1) * size);
                Array.Fill(chunk, (byte)(1 + (writer * 7 + seq) % 255));
                fs.Position = offset;
                try { fs.Write(chunk); }
                catch (IOException e) { lock (errors) if (errors.Count < 20) errors.Add($"{mountPoint}: write {seq} at {offset}: {e.Message}"); }
                lock (covered) covered.AsSpan(offset, size).Fill(true);
            }
        }
        Task.WaitAll(Task.Run(() => Writer(mountA, 1)), Task.Run(() => Writer(mountB, 2)));

        byte[]? first = null;
        foreach (string mount in new[] { mountA, mountB, freshMount() })
        {
            byte[] data;
            try { data = File.ReadAllBytes(Path.Combine(mount, name)); }
            catch (IOException e) { errors.Add($"{mount}: read: {e.Message}"); continue; }
            int zeros = Enumerable.Range(0, data.Length).Count(i => covered[i] && data[i] == 0);
            if (zeros > 0) errors.Add($"{mount}: {zeros} written bytes read as zero (lost writes)");
            if (first == null) first = data;
            else if (!first.AsSpan().SequenceEqual(data))
                errors.Add($"{mount}: reads {Enumerable.Range(0, blocks).Count(b => !first.AsSpan(b * size, size).SequenceEqual(data.AsSpan(b * size, size)))} of {blocks} blocks differently from {mountA}");
        }
        return errors;
    }
}
