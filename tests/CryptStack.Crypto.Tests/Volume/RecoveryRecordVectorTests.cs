using System.Security.Cryptography;
using CryptStack.Crypto.Keys;
using CryptStack.Volume;

namespace CryptStack.Crypto.Tests.Volume;

/// <summary>
/// The recovery record vector of docs/format.md, section 3.4 (computed independently with Python's hmac, hashlib
/// and cryptography's HKDF): canonical bytes and MAC of a record with one recovery slot, and the JSON round trip.
/// </summary>
public class RecoveryRecordVectorTests
{
    private static byte[] Range(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    private static VolumeConfig Record() => new(
        1, Range(0xf0, 16), CipherSuite.V1, FormatConstants.Version1Features.ToList(), "2026-01-01T00:00:00Z",
        [new Keyslot(1, KeyslotKind.Recovery, "2026-01-01T00:00:00Z", new KdfSpec("hkdf", [], Range(0x20, 32)), Range(0x40, 12), Range(0x50, 48))],
        []);

    [Fact]
    public void Recovery_record_canonical_bytes_and_mac_match_the_documented_vector()
    {
        byte[] canonical = VolumeConfigCodec.CanonicalBytes(Record(), ConfigDocument.RecoveryRecord);
        Assert.Equal(379, canonical.Length);
        Assert.Equal("000000166372797074737461636b207265636f766572792076310000000100000010f0f1f2f3f4f5", Convert.ToHexStringLower(canonical.AsSpan(0, 40)));
        Assert.Equal("20a894c72eb320dcef19e159dec641e380d4bdbc7b60aa79a1d5655885d696b8", Convert.ToHexStringLower(SHA256.HashData(canonical)));
        using var keys = new KeyHierarchy(Range(0, 32), Range(0xf0, 16));
        Assert.Equal("c79a969a3e4e5370e47fb50fa7dbd137c13d50e0278ca0e1179087607b1474d9",
            Convert.ToHexStringLower(VolumeConfigCodec.ComputeMac(Record(), keys, ConfigDocument.RecoveryRecord)));
        // The same fields as a config MAC differently: neither document can stand in for the other.
        Assert.NotEqual(VolumeConfigCodec.ComputeMac(Record(), keys), VolumeConfigCodec.ComputeMac(Record(), keys, ConfigDocument.RecoveryRecord));
    }

    [Fact]
    public void Recovery_record_json_round_trips_and_is_refused_as_a_config_and_the_other_way_round()
    {
        var record = Record() with { Mac = Range(0x90, 32) };
        byte[] json = VolumeConfigCodec.Serialize(record, ConfigDocument.RecoveryRecord);
        Assert.StartsWith("{\n  \"recoveryRecord\": 1,\n  \"formatVersion\": 1,", System.Text.Encoding.UTF8.GetString(json));
        var parsed = VolumeConfigCodec.Parse(json, "cs.recovery", ConfigDocument.RecoveryRecord);
        Assert.Equal(VolumeConfigCodec.CanonicalBytes(record, ConfigDocument.RecoveryRecord), VolumeConfigCodec.CanonicalBytes(parsed, ConfigDocument.RecoveryRecord));
        Assert.Throws<VolumeException>(() => VolumeConfigCodec.Parse(json, "cryptstack.conf"));
        Assert.Throws<VolumeException>(() => VolumeConfigCodec.Parse(VolumeConfigCodec.Serialize(record), "cs.recovery", ConfigDocument.RecoveryRecord));
        var withPassphrase = record with { Keyslots = [record.Keyslots[0] with { Kind = KeyslotKind.KeyFile }] };
        Assert.Throws<VolumeException>(() => VolumeConfigCodec.Parse(VolumeConfigCodec.Serialize(withPassphrase, ConfigDocument.RecoveryRecord), "cs.recovery", ConfigDocument.RecoveryRecord));
    }
}
