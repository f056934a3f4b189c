using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

public class EncryptedSmokeTests
{
    [Fact]
    public void File_written_through_the_encrypted_mount_reads_back_and_is_not_stored_in_the_clear()
    {
        using var m = TestVolumes.Mount();
        Directory.CreateDirectory(m.P("secret-dir"));
        File.WriteAllText(m.P("secret-dir/plain-name.txt"), "attack at dawn");
        Assert.Equal("attack at dawn", File.ReadAllText(m.P("secret-dir/plain-name.txt")));
        Assert.Equal(["plain-name.txt"], Directory.GetFileSystemEntries(m.P("secret-dir")).Select(Path.GetFileName));
        m.Unmount();
        foreach (string f in Directory.EnumerateFiles(m.Backing, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("plain-name", f);
            Assert.DoesNotContain("attack at dawn", File.ReadAllText(f));
        }
    }
}
