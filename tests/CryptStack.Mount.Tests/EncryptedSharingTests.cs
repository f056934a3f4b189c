using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>Two mounts of one CIPHERDIR (as on shared storage) writing one file never corrupt a block.</summary>
public class EncryptedSharingTests
{
    [Fact]
    public async Task Two_mounts_writing_interleaved_ranges_of_one_file_lose_no_update()
    {
        using var first = TestVolumes.Mount("-o", "shared");
        using var second = TestMount.Start(m => ["mount", first.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(first), "-o", "shared"]);
        string secondMountPoint = second.MountPoint;

        const int records = 600, recordSize = 100, half = 50;
        File.WriteAllBytes(Path.Combine(first.MountPoint, "shared.bin"), new byte[records * recordSize]);

        // Every 4 KiB block is read-modify-written by both mounts at once: without a lock across
        // mounts, one mount's write of a block would put back the other's stale bytes.
        void Writer(string mountPoint, int start, byte value)
        {
            using var fs = new FileStream(Path.Combine(mountPoint, "shared.bin"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            var chunk = Enumerable.Repeat(value, half).ToArray();
            foreach (int i in Enumerable.Range(0, records).OrderBy(x => (x * 7919) % records))
            {
                fs.Position = (long)i * recordSize + start;
                fs.Write(chunk);
            }
        }
        var a = Task.Run(() => Writer(first.MountPoint, 0, 0xAA));
        var b = Task.Run(() => Writer(secondMountPoint, half, 0xBB));
        await Task.WhenAll(a, b);
        second.Unmount();
        first.Unmount();

        first.MountAgain();
        byte[] data = File.ReadAllBytes(first.P("shared.bin"));
        for (int i = 0; i < records; i++)
        {
            Assert.All(data.AsSpan(i * recordSize, half).ToArray(), x => Assert.Equal(0xAA, x));
            Assert.All(data.AsSpan(i * recordSize + half, half).ToArray(), x => Assert.Equal(0xBB, x));
        }
    }
}
