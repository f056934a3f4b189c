using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

/// <summary>Two mounts of one CIPHERDIR (as on shared storage) writing one file never corrupt a block.</summary>
public class EncryptedSharingTests
{
    private static (TestMount First, TestMount Second) TwoSharedMounts()
    {
        var first = TestVolumes.Mount("-o", "shared");
        try { return (first, TestMount.Start(m => ["mount", first.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(first), "-o", "shared"])); }
        catch { first.Dispose(); throw; }
    }

    [Fact]
    public void Two_mounts_writing_interleaved_ranges_of_one_file_lose_no_update()
    {
        var (first, second) = TwoSharedMounts();
        using (first)
        using (second)
        {
            TestMount? fresh = null;
            try
            {
                var errors = TwoWriterChecks.InterleavedRecords(first.MountPoint, second.MountPoint, () =>
                {
                    fresh = TestMount.Start(m => ["mount", first.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(first), "-o", "shared"]);
                    return fresh.MountPoint;
                });
                Assert.True(errors.Count == 0, string.Join("\n", errors));
            }
            finally { fresh?.Dispose(); }
        }
    }

    [Fact]
    public void Two_mounts_writing_unaligned_blocks_of_one_file_agree_and_lose_nothing()
    {
        var (first, second) = TwoSharedMounts();
        using (first)
        using (second)
        {
            TestMount? fresh = null;
            try
            {
                var errors = TwoWriterChecks.UnalignedWrites(first.MountPoint, second.MountPoint, () =>
                {
                    fresh = TestMount.Start(m => ["mount", first.Backing, m.MountPoint, "--passfile", TestVolumes.PassFileOf(first), "-o", "shared"]);
                    return fresh.MountPoint;
                }, writes: 1500);
                Assert.True(errors.Count == 0, string.Join("\n", errors));
            }
            finally { fresh?.Dispose(); }
        }
    }
}
