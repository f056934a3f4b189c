using System.Text;
using System.Text.Json.Nodes;
using CryptStack.Crypto.Names;
using CryptStack.Volume;

namespace CryptStack.Crypto.Tests.Volume;

public class VolumeConfigTests
{
    /// <summary>Argon2id at 1 MiB, 1 pass: fast tests. Real volumes use <see cref="KdfOptions.Default"/>.</summary>
    internal static readonly KdfOptions Cheap = new() { Argon2MemoryKiB = 1024, Argon2Iterations = 1 };

    private static readonly byte[] KeyFileBytes = Enumerable.Range(0, 64).Select(i => (byte)(i * 7)).ToArray();

    private static VolumeSecret Passphrase(string text = "correct horse battery staple") => VolumeSecret.Passphrase(text.AsSpan());

    private static (TempDirectory Dir, string Recovery, byte[] MasterKey) NewVolume(VolumeSecret? first = null)
    {
        var dir = new TempDirectory();
        using VolumeSecret secret = first ?? Passphrase();
        CreatedVolume created = CryptVolume.Create(dir.Path, secret, Cheap);
        using UnlockedVolume volume = created.Volume;
        return (dir, created.RecoveryKey, volume.Keys.MasterKey.ToArray());
    }

    [Fact]
    public void Create_writes_config_backup_and_root_dir_id_and_opens_with_passphrase()
    {
        var (dir, _, masterKey) = NewVolume();
        using (dir)
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "cryptstack.conf")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "cryptstack.conf")), File.ReadAllBytes(Path.Combine(dir.Path, "cryptstack.conf.bak")));
            Assert.Equal(DirectoryIdCodec.SealedSize, File.ReadAllBytes(Path.Combine(dir.Path, BackingNames.DirIdFileName)).Length);

            using VolumeSecret secret = Passphrase();
            using UnlockedVolume volume = CryptVolume.Open(dir.Path, secret);
            Assert.Equal(masterKey, volume.Keys.MasterKey.ToArray());
            Assert.Equal(0, volume.UnlockedSlotId);
        }
    }

    [Fact]
    public void Opens_with_key_file_slot_and_recovery_key()
    {
        using VolumeSecret keyFile = VolumeSecret.KeyFile(KeyFileBytes);
        var (dir, recovery, masterKey) = NewVolume(keyFile);
        using (dir)
        {
            using (VolumeSecret again = VolumeSecret.KeyFile(KeyFileBytes))
            using (UnlockedVolume volume = CryptVolume.Open(dir.Path, again))
                Assert.Equal(masterKey, volume.Keys.MasterKey.ToArray());
            using (VolumeSecret recoverySecret = VolumeSecret.Recovery(recovery))
            using (UnlockedVolume volume = CryptVolume.Open(dir.Path, recoverySecret))
            {
                Assert.Equal(masterKey, volume.Keys.MasterKey.ToArray());
                Assert.Equal(1, volume.UnlockedSlotId);
            }
        }
    }

    [Fact]
    public void Scrypt_passphrase_slot_round_trips()
    {
        var (dir, _, masterKey) = NewVolume();
        using (dir)
        {
            using (VolumeSecret secret = Passphrase())
            using (UnlockedVolume volume = CryptVolume.Open(dir.Path, secret))
            {
                using VolumeSecret second = Passphrase("scrypt one");
                volume.AddSlot(second, new KdfOptions { Algorithm = KdfNames.Scrypt, ScryptCost = 1024, ScryptBlockSize = 8 });
            }
            using VolumeSecret scryptSecret = Passphrase("scrypt one");
            using UnlockedVolume reopened = CryptVolume.Open(dir.Path, scryptSecret);
            Assert.Equal(masterKey, reopened.Keys.MasterKey.ToArray());
            Assert.Equal("scrypt", reopened.ListSlots().Single(s => s.Id == reopened.UnlockedSlotId).Kdf);
        }
    }

    [Fact]
    public void Wrong_passphrase_names_the_file_but_not_the_secret()
    {
        var (dir, _, _) = NewVolume();
        using (dir)
        {
            using VolumeSecret wrong = Passphrase("hunter2-wrong");
            var e = Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, wrong));
            Assert.Equal($"{Path.Combine(dir.Path, "cryptstack.conf")}: passphrase does not open any keyslot", e.Message);
            Assert.DoesNotContain("hunter2", e.Message);

            using VolumeSecret keyFile = VolumeSecret.KeyFile(KeyFileBytes);
            Assert.Contains("no key file keyslot", Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, keyFile)).Message);
        }
    }

    [Fact]
    public void Change_passphrase_keeps_the_master_key_and_retires_the_old_passphrase()
    {
        var (dir, _, masterKey) = NewVolume();
        using (dir)
        {
            using (VolumeSecret old = Passphrase())
            using (UnlockedVolume volume = CryptVolume.Open(dir.Path, old))
            {
                using VolumeSecret replacement = Passphrase("new passphrase");
                volume.ChangePassphrase(volume.UnlockedSlotId, replacement, Cheap);
            }
            using (VolumeSecret old = Passphrase())
                Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, old));
            // The backup is a copy of the current config, so the old passphrase does not live on there.
            File.Copy(Path.Combine(dir.Path, "cryptstack.conf.bak"), Path.Combine(dir.Path, "cryptstack.conf"), overwrite: true);
            using (VolumeSecret old = Passphrase())
                Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, old));
            using VolumeSecret current = Passphrase("new passphrase");
            using UnlockedVolume reopened = CryptVolume.Open(dir.Path, current);
            Assert.Equal(masterKey, reopened.Keys.MasterKey.ToArray());
        }
    }

    [Fact]
    public void Removing_the_last_passphrase_slot_is_refused_unless_forced_and_the_only_slot_never()
    {
        var (dir, recovery, _) = NewVolume();
        using (dir)
        {
            using VolumeSecret secret = Passphrase();
            using UnlockedVolume volume = CryptVolume.Open(dir.Path, secret);

            var e = Assert.Throws<VolumeException>(() => volume.RemoveSlot(0));
            Assert.Contains("last passphrase or key-file slot", e.Message);
            volume.RemoveSlot(0, force: true);
            Assert.Throws<VolumeException>(() => volume.RemoveSlot(1, force: true));
            Assert.Throws<VolumeException>(() => volume.RemoveSlot(7));

            using VolumeSecret recoverySecret = VolumeSecret.Recovery(recovery);
            using UnlockedVolume reopened = CryptVolume.Open(dir.Path, recoverySecret);
            Assert.Single(reopened.ListSlots());
        }
    }

    [Fact]
    public void Added_slots_open_and_removed_slots_stop_opening()
    {
        var (dir, _, masterKey) = NewVolume();
        using (dir)
        {
            string secondRecovery;
            using (VolumeSecret secret = Passphrase())
            using (UnlockedVolume volume = CryptVolume.Open(dir.Path, secret))
            {
                using VolumeSecret keyFile = VolumeSecret.KeyFile(KeyFileBytes);
                Assert.Equal(2, volume.AddSlot(keyFile));
                (int id, secondRecovery) = volume.AddRecoverySlot();
                Assert.Equal(3, id);
                Assert.Equal([0, 1, 2, 3], volume.ListSlots().Select(s => s.Id));
                volume.RemoveSlot(2);
            }
            using (VolumeSecret keyFile = VolumeSecret.KeyFile(KeyFileBytes))
                Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, keyFile));
            using VolumeSecret recovery = VolumeSecret.Recovery(secondRecovery);
            using UnlockedVolume reopened = CryptVolume.Open(dir.Path, recovery);
            Assert.Equal(masterKey, reopened.Keys.MasterKey.ToArray());
        }
    }

    [Fact]
    public void Info_and_slot_list_need_no_secret_and_show_none()
    {
        var (dir, recovery, _) = NewVolume();
        using (dir)
        {
            VolumeInfo info = CryptVolume.ReadInfo(dir.Path);

            Assert.False(info.Authenticated);
            Assert.Equal(FormatConstants.FormatVersion, info.FormatVersion);
            Assert.Equal(32, info.VolumeId.Length);
            Assert.Equal([KeyslotKind.Passphrase, KeyslotKind.Recovery], info.Keyslots.Select(s => s.Kind));
            Assert.Equal(1024, info.Keyslots[0].KdfParameters.Single(p => p.Key == "memoryKiB").Value);
            Assert.DoesNotContain(recovery, info.ToString());
        }
    }

    [Fact]
    public void Create_refuses_a_non_empty_directory()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "x"), "x");
        using VolumeSecret secret = Passphrase();
        Assert.Contains("not empty", Assert.Throws<VolumeException>(() => CryptVolume.Create(dir.Path, secret, Cheap)).Message);
    }

    [Fact]
    public void Missing_config_says_what_to_do()
    {
        using var dir = new TempDirectory();
        using VolumeSecret secret = Passphrase();
        Assert.Contains("not found", Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, secret)).Message);
    }

    // Each edit keeps the JSON well formed and plausible: only the MAC can catch it.
    public static TheoryData<string> FieldTampers() =>
    [
        "downgrade-kdf-memory",
        "downgrade-kdf-iterations",
        "drop-feature",
        "reorder-features",
        "swap-slot-ids",
        "remove-recovery-slot",
        "change-created",
        "change-slot-created",
        "change-volume-id",
        "change-mac",
        "change-recovery-wrapped-key",
    ];

    [Theory]
    [MemberData(nameof(FieldTampers))]
    public void Tampered_field_is_detected_at_open(string tamper)
    {
        var (dir, _, _) = NewVolume();
        using (dir)
        {
            string path = Path.Combine(dir.Path, "cryptstack.conf");
            JsonNode root = JsonNode.Parse(File.ReadAllText(path))!;
            JsonArray slots = root["keyslots"]!.AsArray();
            switch (tamper)
            {
                case "downgrade-kdf-memory": slots[0]!["kdf"]!["params"]!["memoryKiB"] = 512; break;
                case "downgrade-kdf-iterations": slots[0]!["kdf"]!["params"]!["iterations"] = 2; break;
                case "drop-feature": root["features"]!.AsArray().RemoveAt(1); break;
                case "reorder-features":
                    JsonArray features = root["features"]!.AsArray();
                    JsonNode first = features[0]!;
                    features.RemoveAt(0);
                    features.Add(first);
                    break;
                case "swap-slot-ids": slots[0]!["id"] = 5; break;
                case "remove-recovery-slot": slots.RemoveAt(1); break;
                case "change-created": root["createdUtc"] = "2001-01-01T00:00:00Z"; break;
                case "change-slot-created": slots[0]!["createdUtc"] = "2001-01-01T00:00:00Z"; break;
                case "change-volume-id": root["volumeId"] = Convert.ToBase64String(new byte[16]); break;
                case "change-mac": root["mac"] = Convert.ToBase64String(new byte[32]); break;
                case "change-recovery-wrapped-key": slots[1]!["wrappedKey"] = Convert.ToBase64String(new byte[48]); break;
            }
            File.WriteAllText(path, root.ToJsonString());

            using VolumeSecret secret = Passphrase();
            Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, secret));
        }
    }

    [Fact]
    public void Random_single_byte_mutations_are_rejected_with_volume_exception()
    {
        var (dir, _, masterKey) = NewVolume();
        using (dir)
        {
            string path = Path.Combine(dir.Path, "cryptstack.conf");
            byte[] original = File.ReadAllBytes(path);
            var random = new Random(20251125);
            using VolumeSecret secret = Passphrase();
            for (int i = 0; i < 500; i++)
            {
                byte[] mutated = (byte[])original.Clone();
                int position = random.Next(mutated.Length);
                byte value;
                do value = (byte)random.Next(256); while (value == original[position]);
                mutated[position] = value;
                File.WriteAllBytes(path, mutated);

                try
                {
                    using UnlockedVolume volume = CryptVolume.Open(dir.Path, secret);
                    // Only replacing JSON whitespace by other JSON whitespace leaves the meaning unchanged.
                    Assert.True(IsJsonWhitespace(original[position]) && IsJsonWhitespace(value), $"mutation at {position} to 0x{value:x2} was accepted");
                    Assert.Equal(masterKey, volume.Keys.MasterKey.ToArray());
                }
                catch (VolumeException)
                {
                }
            }
        }
    }

    [Fact]
    public void Garbage_configs_raise_volume_exception_only()
    {
        string[] bodies =
        [
            "", "null", "[]", "{}", "{\"formatVersion\":1}", "{\"formatVersion\":2}", "\u0000\u0001",
            "{\"formatVersion\":1e0}", "{\"formatVersion\":\"1\"}", new string('[', 10000), "{\"a\":1,\"a\":2}",
        ];
        foreach (string body in bodies)
        {
            var e = Assert.Throws<VolumeException>(() => VolumeConfigCodec.Parse(Encoding.UTF8.GetBytes(body), "/v/cryptstack.conf"));
            Assert.StartsWith("/v/cryptstack.conf: ", e.Message);
        }
    }

    [Fact]
    public void Config_asking_for_absurd_kdf_memory_is_refused_before_running_the_kdf()
    {
        var (dir, _, _) = NewVolume();
        using (dir)
        {
            string path = Path.Combine(dir.Path, "cryptstack.conf");
            JsonNode root = JsonNode.Parse(File.ReadAllText(path))!;
            root["keyslots"]![0]!["kdf"]!["params"]!["memoryKiB"] = 2_000_000_000;
            File.WriteAllText(path, root.ToJsonString());

            using VolumeSecret secret = Passphrase();
            Assert.Contains("memoryKiB", Assert.Throws<VolumeException>(() => CryptVolume.Open(dir.Path, secret)).Message);
        }
    }

    [Fact]
    public void Canonical_encoding_starts_with_the_magic_and_is_independent_of_whitespace()
    {
        var (dir, _, _) = NewVolume();
        using (dir)
        {
            byte[] file = File.ReadAllBytes(Path.Combine(dir.Path, "cryptstack.conf"));
            VolumeConfig config = VolumeConfigCodec.Parse(file, "c");
            VolumeConfig compact = VolumeConfigCodec.Parse(Encoding.UTF8.GetBytes(JsonNode.Parse(file)!.ToJsonString()), "c");

            byte[] canonical = VolumeConfigCodec.CanonicalBytes(config);
            Assert.Equal(canonical, VolumeConfigCodec.CanonicalBytes(compact));
            Assert.Equal("000000126372797074737461636b2e636f6e66207631", Convert.ToHexStringLower(canonical.AsSpan(0, 22)));
            Assert.Equal(file, VolumeConfigCodec.Serialize(config));
        }
    }

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}

/// <summary>Format versions: new volumes are version 2; a version's protections are not optional; version 1 lacks what 2 adds.</summary>
public class VolumeFormatTests
{
    [Fact]
    public void New_volumes_are_version_2_and_bind_directory_ids()
    {
        Assert.Equal(2, FormatConstants.FormatVersion);
        Assert.True(VolumeFormat.Current.BindsDirectoryIds);
        Assert.Empty(VolumeFormat.Current.MissingProtections);
    }

    [Fact]
    public void A_version_1_volume_lacks_bound_directory_ids_and_says_so()
    {
        var v1 = new VolumeFormat(1, FormatConstants.Version1Features);
        Assert.False(v1.BindsDirectoryIds);
        Assert.Contains(v1.MissingProtections, m => m.Contains("directory ids are not bound"));
    }
}

/// <summary>Issue 10's spec/code disagreements, resolved the safer way: the parser accepts exactly what a writer produces.</summary>
public class SaltLengthTests
{
    [Theory]
    [InlineData(0, 32)] // a passphrase slot with a 32-byte salt
    [InlineData(0, 20)]
    [InlineData(1, 16)] // a recovery slot with a 16-byte salt
    [InlineData(1, 64)]
    public void A_salt_of_another_length_than_its_slot_kind_writes_is_refused(int slot, int length)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cryptstack-salt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using (CryptVolume.Create(dir, VolumeSecret.Passphrase(Encoding.UTF8.GetBytes("pw")),
                new KdfOptions { Argon2MemoryKiB = 1024, Argon2Iterations = 1 }).Volume) { }
            string path = Path.Combine(dir, "cryptstack.conf");
            JsonNode root = JsonNode.Parse(File.ReadAllText(path))!;
            root["keyslots"]!.AsArray()[slot]!["kdf"]!["salt"] = Convert.ToBase64String(new byte[length]);
            File.WriteAllText(path, root.ToJsonString());
            var e = Assert.Throws<VolumeException>(() => CryptVolume.ReadInfo(dir));
            Assert.Contains("salt", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

