using System.Runtime.CompilerServices;
using System.Text;
using System.Security.Cryptography;
using CryptStack.Crypto;
using CryptStack.Crypto.Content;
using CryptStack.Crypto.Names;
using CryptStack.Volume;

namespace CryptStack.Crypto.Tests.Volume;

/// <summary>
/// keys-sample/volume was made with the INSECURE sample secrets next to it. Opening it and decrypting its
/// names and link targets proves the config, keyslot, name and link formats have not changed silently.
/// To rebuild it after a deliberate format change: scripts/regenerate-sample-volume.sh.
/// </summary>
public class SampleVolumeTests
{
    private const string LongDirectoryName =
        "INSECURE SAMPLE directory whose name is longer than one hundred and fifteen bytes so that it is stored as a long name with a sidecar";

    private static string SampleDir([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "keys-sample"));

    private static string VolumeDir => Path.Combine(SampleDir(), "volume");

    private static VolumeSecret SamplePassphrase() =>
        VolumeSecret.PassphraseFromFile(File.ReadAllBytes(Path.Combine(SampleDir(), "INSECURE-SAMPLE-passphrase.txt")));

    private static VolumeSecret SampleKeyFile() =>
        VolumeSecret.KeyFile(File.ReadAllBytes(Path.Combine(SampleDir(), "INSECURE-SAMPLE.key")));

    private static VolumeSecret SampleRecoveryKey() =>
        VolumeSecret.Recovery(File.ReadAllText(Path.Combine(SampleDir(), "INSECURE-SAMPLE-recovery-key.txt")));

    [Fact]
    public void Sample_volume_opens_with_each_sample_secret_to_the_same_master_key()
    {
        using VolumeSecret passphrase = SamplePassphrase();
        using VolumeSecret keyFile = SampleKeyFile();
        using VolumeSecret recovery = SampleRecoveryKey();

        using UnlockedVolume byPassphrase = CryptVolume.Open(VolumeDir, passphrase);
        using UnlockedVolume byKeyFile = CryptVolume.Open(VolumeDir, keyFile);
        using UnlockedVolume byRecovery = CryptVolume.Open(VolumeDir, recovery);

        Assert.Equal(byPassphrase.Keys.MasterKey.ToArray(), byKeyFile.Keys.MasterKey.ToArray());
        Assert.Equal(byPassphrase.Keys.MasterKey.ToArray(), byRecovery.Keys.MasterKey.ToArray());
        Assert.Equal([KeyslotKind.Passphrase, KeyslotKind.Recovery, KeyslotKind.KeyFile], byPassphrase.ListSlots().Select(s => s.Kind));
    }

    [Fact]
    public void Sample_volume_names_and_link_targets_decrypt()
    {
        using VolumeSecret passphrase = SamplePassphrase();
        using UnlockedVolume volume = CryptVolume.Open(VolumeDir, passphrase);
        using NameCodec names = NameCodec.FromKeys(volume.Keys);
        using LinkTargetCodec links = LinkTargetCodec.FromKeys(volume.Keys);

        var root = ListDirectory(VolumeDir, isRoot: true, names);
        Assert.Equal([LongDirectoryName, "INSECURE SAMPLE file.txt", "INSECURE SAMPLE link"], root.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("INSECURE SAMPLE target", Encoding.UTF8.GetString(links.Decrypt(new FileInfo(root["INSECURE SAMPLE link"]).LinkTarget!)));

        var inner = ListDirectory(root[LongDirectoryName], isRoot: false, names);
        Assert.Equal(["link to parent"], inner.Keys);
        Assert.Equal("../INSECURE SAMPLE link", Encoding.UTF8.GetString(links.Decrypt(new FileInfo(inner["link to parent"]).LinkTarget!)));
    }

    /// <summary>
    /// The sample file was written through a real `cryptstack mount` of this volume: its content decrypts
    /// offline, with the library alone, as a restore from a ciphertext backup would do it.
    /// </summary>
    [Fact]
    public void Sample_volume_file_content_decrypts_offline()
    {
        using VolumeSecret passphrase = SamplePassphrase();
        using UnlockedVolume volume = CryptVolume.Open(VolumeDir, passphrase);
        using NameCodec names = NameCodec.FromKeys(volume.Keys);
        using SecretKey headerKey = volume.Keys.DeriveContentHeaderKey();
        var root = ListDirectory(VolumeDir, isRoot: true, names);

        using var store = FileStore.Open(root["INSECURE SAMPLE file.txt"], FileMode.Open, FileAccess.Read);
        using var file = ContentFile.Open(store, headerKey);
        var plain = new byte[file.PlainLength];
        Assert.Equal(plain.Length, file.Read(plain, 0));
        Assert.Equal(9598, plain.Length);
        Assert.StartsWith("INSECURE SAMPLE file content.\n", Encoding.UTF8.GetString(plain));
        Assert.Equal("6fd98ea748c656705f59280a6718937febe51c4cd4add86dc162874b57a91582", Convert.ToHexStringLower(SHA256.HashData(plain)));
    }

    /// <summary>What a readdir does: skip reserved names, resolve long names, decrypt under the directory's id.</summary>
    private static Dictionary<string, string> ListDirectory(string path, bool isRoot, NameCodec names)
    {
        byte[] dirId = DirectoryId.Parse(File.ReadAllBytes(Path.Combine(path, BackingNames.DirIdFileName)), path);
        var entries = new Dictionary<string, string>();
        foreach (string full in Directory.EnumerateFileSystemEntries(path))
        {
            string name = Path.GetFileName(full);
            string? encoded = BackingNames.Classify(name, isRoot) switch
            {
                BackingNameKind.EncodedName => name,
                BackingNameKind.LongName => BackingNames.EncodedNameFromSidecar(name, File.ReadAllBytes(Path.Combine(path, BackingNames.SidecarNameFor(name)))),
                _ => null,
            };
            if (encoded is not null) entries.Add(Encoding.UTF8.GetString(names.Decrypt(encoded, dirId)), full);
        }
        return entries;
    }
}
