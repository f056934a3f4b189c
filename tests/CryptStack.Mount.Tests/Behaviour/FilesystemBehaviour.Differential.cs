using System.Text;
using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

// The same random operations on the mount and on a plain directory must give the same results.
public abstract partial class FilesystemBehaviour
{
    private const int OperationsPerSeed = 600;

    /// <summary>
    /// The fixed seeds CI runs. To reproduce or explore: CRYPTSTACK_DIFF_SEEDS=17,99 and
    /// CRYPTSTACK_DIFF_OPS=5000 replace them.
    /// </summary>
    public static TheoryData<int> DifferentialSeeds()
    {
        var data = new TheoryData<int>();
        string? env = Environment.GetEnvironmentVariable("CRYPTSTACK_DIFF_SEEDS");
        foreach (int seed in env != null ? env.Split(',').Select(int.Parse) : [1, 2, 3, 4, 5]) data.Add(seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(DifferentialSeeds))]
    public void Random_operations_give_the_same_results_as_a_plain_directory(int seed)
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("CRYPTSTACK_DIFF_OPS"), out int n) ? n : OperationsPerSeed;
        string mounted = NewDir(seed.ToString());
        string plain = PlainDir();
        var generator = new RandomOperations(seed);
        var history = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var op = generator.Next(plain);
            string expected = RandomOperations.Apply(op, plain);
            string actual = RandomOperations.Apply(op, mounted);
            history.Add($"  #{i} {op} -> {expected}");
            if (expected != actual)
                Assert.Fail($"seed {seed}, operation #{i} {op}: plain directory gave {expected}, mount gave {actual}\n{Recent(history)}");
            if (i % 100 == 99 || i == count - 1) AssertSameTree(plain, mounted, seed, i, history);
        }
    }

    private static void AssertSameTree(string plain, string mounted, int seed, int step, List<string> history)
    {
        var expected = TreeSnapshot.Take(plain);
        var actual = TreeSnapshot.Take(mounted);
        if (!expected.SequenceEqual(actual))
            Assert.Fail($"seed {seed}: trees differ after operation #{step}:\n{TreeSnapshot.Diff(expected, actual)}{Recent(history)}");
    }

    private static string Recent(List<string> history)
    {
        var sb = new StringBuilder("last operations:\n");
        foreach (string line in history.TakeLast(25)) sb.AppendLine(line);
        return sb.ToString();
    }
}
