using System.Text;
using CryptStack.Volume;

namespace CryptStack.Mount.Tests.Harness;

/// <summary>Encrypted volumes for mount tests: made with the library and cheap KDF settings, mounted with the CLI.</summary>
public static class TestVolumes
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>Argon2id at 1 MiB, 1 pass: the tests exercise the mount, not the KDF's cost.</summary>
    public static KdfOptions CheapKdf { get; } = new() { Argon2MemoryKiB = 1024, Argon2Iterations = 1 };

    public static string PassFileOf(TestMount m) => Path.Combine(m.Root, "passfile");

    /// <summary>Creates a volume in the mount's backing directory and writes its passfile.</summary>
    public static void Create(TestMount m)
    {
        File.WriteAllText(PassFileOf(m), Passphrase + "\n");
        using var created = CryptVolume.Create(m.Backing, VolumeSecret.Passphrase(Encoding.UTF8.GetBytes(Passphrase)), CheapKdf).Volume;
    }

    /// <summary>`cryptstack mount BACKING MNT --passfile F` over a fresh volume.</summary>
    public static TestMount Mount(params string[] extra) =>
        TestMount.Start(m => ["mount", m.Backing, m.MountPoint, "--passfile", PassFileOf(m), .. extra], prepare: Create);

    /// <summary>As <see cref="Mount(string[])"/>, with the daemon started through <paramref name="launcher"/>.</summary>
    public static TestMount MountThrough(IReadOnlyList<string> launcher, params string[] extra) =>
        TestMount.Start(m => ["mount", m.Backing, m.MountPoint, "--passfile", PassFileOf(m), .. extra], prepare: Create, launcher: launcher);
}
