namespace CryptStack.Mount.Tests.Harness;

/// <summary>Daemons started with a low descriptor limit, so that node descriptors are closed and reopened all the time.</summary>
public static class FewDescriptors
{
    /// <summary>`prlimit --nofile=400:400`: 144 node descriptors once the daemon keeps its reserve of 256.</summary>
    public static readonly string[] Launcher = ["prlimit", "--nofile=400:400", "--"];

    /// <summary>Writes and reads back 300 files in <paramref name="dir"/> and checks that the daemon said its budget applies.</summary>
    public static void AssertRunsPastBudget(TestMount m, string dir)
    {
        for (int i = 0; i < 300; i++) File.WriteAllText(Path.Combine(dir, $"f{i}"), $"{i}");
        for (int i = 0; i < 300; i++) Assert.Equal($"{i}", File.ReadAllText(Path.Combine(dir, $"f{i}")));
        Assert.Contains("the kernel caches more than 144 nodes", m.Log);
    }
}
