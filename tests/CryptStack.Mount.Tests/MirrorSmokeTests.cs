using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests;

public class MirrorSmokeTests
{
    [Fact]
    public void File_written_through_the_mirror_lands_in_the_backing_directory()
    {
        using var m = TestMount.Mirror();
        File.WriteAllText(m.P("hello.txt"), "hello");
        Assert.Equal("hello", File.ReadAllText(m.B("hello.txt")));
        m.Unmount();
        Assert.False(m.IsMounted);
    }
}
