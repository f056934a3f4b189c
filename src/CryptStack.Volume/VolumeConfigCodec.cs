using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CryptStack.Crypto;
using CryptStack.Crypto.Keys;

namespace CryptStack.Volume;

/// <summary>The two documents with the config's fields: cryptstack.conf, and the recovery record cs.recovery (its recovery slots only).</summary>
public enum ConfigDocument
{
    Config,
    RecoveryRecord,
}

/// <summary>
/// Reads and writes cryptstack.conf and computes its MAC. Parsing is strict (every property required,
/// no unknown or duplicate properties, canonical numbers and base64) because only what the canonical
/// encoding covers is authenticated: a field the MAC does not see must not exist.
/// </summary>
public static class VolumeConfigCodec
{
    public const int MaxConfigBytes = 1 << 20;
    public const int MaxKeyslots = 32;
    public const int MaxSlotId = 31;
    public const int WrappedKeySize = KeyHierarchy.MasterKeySize + 16;
    public const int NonceSize = 12;
    public const int MacSize = 32;

    /// <summary>First field of the canonical encoding; separates it from any other use of the MAC key.</summary>
    public const string CanonicalMagic = "cryptstack.conf v1";

    /// <summary>First field of a recovery record's canonical encoding (docs/format.md, section 3.4).</summary>
    public const string RecoveryCanonicalMagic = "cryptstack recovery v1";

    /// <summary>The property that marks a recovery record (cs.recovery), and the one value it has.</summary>
    public const string RecoveryRecordProperty = "recoveryRecord";
    public const int RecoveryRecordVersion = 1;

    private static readonly string[] TopLevel = ["formatVersion", "volumeId", "cipherSuite", "features", "createdUtc", "keyslots", "mac"];
    private static readonly string[] RecordTopLevel = [RecoveryRecordProperty, .. TopLevel];
    private static readonly string[] SuiteFields = ["content", "names", "keyWrap", "keyDerivation"];
    private static readonly string[] SlotFields = ["id", "kind", "createdUtc", "kdf", "nonce", "wrappedKey"];
    private static readonly string[] KdfFields = ["name", "params", "salt"];

    /// <summary>Indented UTF-8 JSON; relaxed escaping keeps base64 "+" readable (the file is never embedded in HTML).</summary>
    public static byte[] Serialize(VolumeConfig config, ConfigDocument document = ConfigDocument.Config)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (document == ConfigDocument.RecoveryRecord) json.WriteNumber(RecoveryRecordProperty, RecoveryRecordVersion);
            json.WriteNumber("formatVersion", config.FormatVersion);
            json.WriteString("volumeId", Convert.ToBase64String(config.VolumeId));
            json.WriteStartObject("cipherSuite");
            json.WriteString("content", config.CipherSuite.Content);
            json.WriteString("names", config.CipherSuite.Names);
            json.WriteString("keyWrap", config.CipherSuite.KeyWrap);
            json.WriteString("keyDerivation", config.CipherSuite.KeyDerivation);
            json.WriteEndObject();
            json.WriteStartArray("features");
            foreach (string feature in config.Features) json.WriteStringValue(feature);
            json.WriteEndArray();
            json.WriteString("createdUtc", config.CreatedUtc);
            json.WriteStartArray("keyslots");
            foreach (Keyslot slot in config.Keyslots)
            {
                json.WriteStartObject();
                json.WriteNumber("id", slot.Id);
                json.WriteString("kind", FormatConstants.KindName(slot.Kind));
                json.WriteString("createdUtc", slot.CreatedUtc);
                json.WriteStartObject("kdf");
                json.WriteString("name", slot.Kdf.Name);
                json.WriteStartObject("params");
                foreach (var (name, value) in slot.Kdf.Parameters) json.WriteNumber(name, value);
                json.WriteEndObject();
                json.WriteString("salt", Convert.ToBase64String(slot.Kdf.Salt));
                json.WriteEndObject();
                json.WriteString("nonce", Convert.ToBase64String(slot.Nonce));
                json.WriteString("wrappedKey", Convert.ToBase64String(slot.WrappedKey));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("mac", Convert.ToBase64String(config.Mac));
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Parses and validates the structure; does not check the MAC (that needs the master key).</summary>
    public static VolumeConfig Parse(ReadOnlySpan<byte> content, string path, ConfigDocument kind = ConfigDocument.Config)
    {
        if (content.Length > MaxConfigBytes)
            throw Malformed(path, $"file is {content.Length} bytes, larger than any valid config ({MaxConfigBytes})");
        // JsonDocument accepts invalid UTF-8 inside strings and fails only when the string is read.
        if (!System.Text.Unicode.Utf8.IsValid(content)) throw Malformed(path, "not valid UTF-8 text");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Malformed(path, $"not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var reader = new Reader(path, kind);
            try
            {
                return reader.ReadConfig(document.RootElement);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
            {
                // Defence in depth: the reader checks kinds before reading, so this should not happen.
                throw Malformed(path, e.Message, e);
            }
        }
    }

    /// <summary>
    /// The bytes the MAC covers: every field except "mac", in a fixed order, each length-prefixed.
    /// str(s) = u32be(UTF-8 length) || UTF-8; bin(b) = u32be(length) || b; integers big-endian.
    /// See docs/format.md, "Canonical encoding".
    /// </summary>
    public static byte[] CanonicalBytes(VolumeConfig config, ConfigDocument document = ConfigDocument.Config)
    {
        var output = new List<byte>(1024);
        Str(output, document == ConfigDocument.RecoveryRecord ? RecoveryCanonicalMagic : CanonicalMagic);
        U32(output, (uint)config.FormatVersion);
        Bin(output, config.VolumeId);
        Str(output, config.CipherSuite.Content);
        Str(output, config.CipherSuite.Names);
        Str(output, config.CipherSuite.KeyWrap);
        Str(output, config.CipherSuite.KeyDerivation);
        U32(output, (uint)config.Features.Count);
        foreach (string feature in config.Features) Str(output, feature);
        Str(output, config.CreatedUtc);
        U32(output, (uint)config.Keyslots.Count);
        foreach (Keyslot slot in config.Keyslots)
        {
            U32(output, (uint)slot.Id);
            Str(output, FormatConstants.KindName(slot.Kind));
            Str(output, slot.CreatedUtc);
            Str(output, slot.Kdf.Name);
            U32(output, (uint)slot.Kdf.Parameters.Count);
            foreach (var (name, value) in slot.Kdf.Parameters)
            {
                Str(output, name);
                U64(output, (ulong)value);
            }
            Bin(output, slot.Kdf.Salt);
            Bin(output, slot.Nonce);
            Bin(output, slot.WrappedKey);
        }
        return output.ToArray();
    }

    public static byte[] ComputeMac(VolumeConfig config, KeyHierarchy keys, ConfigDocument document = ConfigDocument.Config)
    {
        using SecretKey macKey = keys.DeriveConfigMacKey();
        return HMACSHA256.HashData(macKey.Span, CanonicalBytes(config, document));
    }

    public static bool VerifyMac(VolumeConfig config, KeyHierarchy keys, ConfigDocument document = ConfigDocument.Config) =>
        config.Mac.Length == MacSize && CryptographicOperations.FixedTimeEquals(ComputeMac(config, keys, document), config.Mac);

    public static string FormatTimestamp(DateTime utc) =>
        utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void Str(List<byte> output, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Bin(output, bytes);
    }

    private static void Bin(List<byte> output, ReadOnlySpan<byte> value)
    {
        U32(output, (uint)value.Length);
        foreach (byte b in value) output.Add(b);
    }

    private static void U32(List<byte> output, uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, value);
        foreach (byte b in buffer) output.Add(b);
    }

    private static void U64(List<byte> output, ulong value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, value);
        foreach (byte b in buffer) output.Add(b);
    }

    internal static VolumeException Malformed(string path, string detail, Exception? inner = null) =>
        new(VolumeErrorKind.CorruptConfig, $"{path}: malformed volume config: {detail}. If you did not edit it, restore {BackupHint(path)}", inner);

    internal static string BackupHint(string path) =>
        $"{Path.GetFileName(path)}.bak from the same directory or from a backup";

    /// <summary>Field-by-field reader; every failure names the JSON path of the bad field.</summary>
    private sealed class Reader(string path, ConfigDocument kind)
    {
        public VolumeConfig ReadConfig(JsonElement root)
        {
            ExpectObject(root, "$", kind == ConfigDocument.RecoveryRecord ? RecordTopLevel : TopLevel);
            if (kind == ConfigDocument.RecoveryRecord)
                Int(root.GetProperty(RecoveryRecordProperty), RecoveryRecordProperty, RecoveryRecordVersion, RecoveryRecordVersion);
            int version = Int(root.GetProperty("formatVersion"), "formatVersion", 1, int.MaxValue);
            if (version is < FormatConstants.OldestFormatVersion or > FormatConstants.FormatVersion)
                throw new VolumeException(VolumeErrorKind.Unsupported, $"{path}: volume format version {version} is not supported; this CryptStack reads versions {FormatConstants.OldestFormatVersion} to {FormatConstants.FormatVersion} (a newer CryptStack created it?)");
            byte[] volumeId = Base64(root.GetProperty("volumeId"), "volumeId", FormatConstants.VolumeIdSize, FormatConstants.VolumeIdSize);
            CipherSuite suite = ReadSuite(root.GetProperty("cipherSuite"));
            List<string> features = ReadFeatures(root.GetProperty("features"));
            // A version's protections are not optional: a v2 volume lists its bindings, a v1 volume cannot claim them.
            foreach (string bound in FormatConstants.Version2Features)
            {
                if (version >= 2 && !features.Contains(bound))
                    throw Malformed(path, $"format version {version} requires feature '{bound}'");
                if (version < 2 && features.Contains(bound))
                    throw Malformed(path, $"feature '{bound}' needs format version 2, the config says {version}");
            }
            string created = Timestamp(root.GetProperty("createdUtc"), "createdUtc");
            List<Keyslot> slots = ReadSlots(root.GetProperty("keyslots"));
            byte[] mac = Base64(root.GetProperty("mac"), "mac", MacSize, MacSize);
            return new VolumeConfig(version, volumeId, suite, features, created, slots, mac);
        }

        private CipherSuite ReadSuite(JsonElement element)
        {
            ExpectObject(element, "cipherSuite", SuiteFields);
            var suite = new CipherSuite(
                String(element.GetProperty("content"), "cipherSuite.content"),
                String(element.GetProperty("names"), "cipherSuite.names"),
                String(element.GetProperty("keyWrap"), "cipherSuite.keyWrap"),
                String(element.GetProperty("keyDerivation"), "cipherSuite.keyDerivation"));
            if (suite != CipherSuite.V1)
                throw new VolumeException(VolumeErrorKind.Unsupported, $"{path}: cipher suite {suite.Content}/{suite.Names}/{suite.KeyWrap}/{suite.KeyDerivation} is not supported; this CryptStack supports {CipherSuite.V1.Content}/{CipherSuite.V1.Names}/{CipherSuite.V1.KeyWrap}/{CipherSuite.V1.KeyDerivation}");
            return suite;
        }

        private List<string> ReadFeatures(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Array) throw Malformed(path, "features must be an array of strings");
            var features = new List<string>();
            int index = 0;
            foreach (JsonElement item in element.EnumerateArray())
            {
                string feature = String(item, $"features[{index++}]");
                if (!FormatConstants.KnownFeatures.Contains(feature))
                    throw new VolumeException(VolumeErrorKind.Unsupported, $"{path}: the volume uses feature '{feature}', which this CryptStack does not support; use a newer CryptStack");
                if (features.Contains(feature)) throw Malformed(path, $"feature '{feature}' is listed twice");
                features.Add(feature);
            }
            return features;
        }

        private List<Keyslot> ReadSlots(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Array) throw Malformed(path, "keyslots must be an array");
            var slots = new List<Keyslot>();
            int index = 0;
            foreach (JsonElement item in element.EnumerateArray())
            {
                if (slots.Count == MaxKeyslots) throw Malformed(path, $"more than {MaxKeyslots} keyslots");
                Keyslot slot = ReadSlot(item, $"keyslots[{index++}]");
                if (slots.Any(s => s.Id == slot.Id)) throw Malformed(path, $"keyslot id {slot.Id} is used twice");
                slots.Add(slot);
            }
            if (slots.Count == 0) throw Malformed(path, "no keyslots: the volume cannot be opened");
            if (kind == ConfigDocument.RecoveryRecord && slots.Any(s => s.Kind != KeyslotKind.Recovery))
                throw Malformed(path, "a recovery record holds recovery keyslots only");
            return slots;
        }

        private Keyslot ReadSlot(JsonElement element, string at)
        {
            ExpectObject(element, at, SlotFields);
            int id = Int(element.GetProperty("id"), $"{at}.id", 0, MaxSlotId);
            string kindName = String(element.GetProperty("kind"), $"{at}.kind");
            KeyslotKind kind = kindName switch
            {
                "passphrase" => KeyslotKind.Passphrase,
                "keyfile" => KeyslotKind.KeyFile,
                "recovery" => KeyslotKind.Recovery,
                _ => throw Malformed(path, $"{at}.kind '{kindName}' is not passphrase, keyfile or recovery"),
            };
            string created = Timestamp(element.GetProperty("createdUtc"), $"{at}.createdUtc");
            KdfSpec kdf = ReadKdf(element.GetProperty("kdf"), $"{at}.kdf", kind);
            byte[] nonce = Base64(element.GetProperty("nonce"), $"{at}.nonce", NonceSize, NonceSize);
            byte[] wrapped = Base64(element.GetProperty("wrappedKey"), $"{at}.wrappedKey", WrappedKeySize, WrappedKeySize);
            return new Keyslot(id, kind, created, kdf, nonce, wrapped);
        }

        private KdfSpec ReadKdf(JsonElement element, string at, KeyslotKind kind)
        {
            ExpectObject(element, at, KdfFields);
            string name = String(element.GetProperty("name"), $"{at}.name");
            JsonElement parameters = element.GetProperty("params");
            // Exactly what a writer produces (docs/format.md 4): 16 bytes for a passphrase slot, 32 for key-file and recovery slots.
            int saltSize = kind == KeyslotKind.Passphrase ? 16 : 32;
            byte[] salt = Base64(element.GetProperty("salt"), $"{at}.salt", saltSize, saltSize);
            var values = new List<KeyValuePair<string, long>>();
            switch (name)
            {
                case KdfNames.Argon2id when kind == KeyslotKind.Passphrase:
                    ExpectObject(parameters, $"{at}.params", KeyslotCrypto.Argon2Params);
                    long lanes = Int(parameters.GetProperty("parallelism"), $"{at}.params.parallelism", 1, KeyslotCrypto.MaxParallelism);
                    values.Add(new("iterations", Int(parameters.GetProperty("iterations"), $"{at}.params.iterations", 1, KeyslotCrypto.MaxIterations)));
                    values.Add(new("memoryKiB", Int(parameters.GetProperty("memoryKiB"), $"{at}.params.memoryKiB", 8 * lanes, KeyslotCrypto.MaxMemoryKiB)));
                    values.Add(new("parallelism", lanes));
                    break;
                case KdfNames.Scrypt when kind == KeyslotKind.Passphrase:
                    ExpectObject(parameters, $"{at}.params", KeyslotCrypto.ScryptParams);
                    long n = Int(parameters.GetProperty("n"), $"{at}.params.n", 2, 1 << 24);
                    if ((n & (n - 1)) != 0) throw Malformed(path, $"{at}.params.n must be a power of two");
                    long r = Int(parameters.GetProperty("r"), $"{at}.params.r", 1, 64);
                    if (128 * n * r > KeyslotCrypto.MaxMemoryKiB * 1024L) throw Malformed(path, $"{at}.params: scrypt would need more than 4 GiB");
                    values.Add(new("n", n));
                    values.Add(new("p", Int(parameters.GetProperty("p"), $"{at}.params.p", 1, KeyslotCrypto.MaxParallelism)));
                    values.Add(new("r", r));
                    break;
                case KdfNames.Hkdf when kind != KeyslotKind.Passphrase:
                    ExpectObject(parameters, $"{at}.params", []);
                    break;
                default:
                    throw Malformed(path, $"{at}.name '{name}' is not a KDF a {FormatConstants.KindName(kind)} slot can use");
            }
            return new KdfSpec(name, values, salt);
        }

        private void ExpectObject(JsonElement element, string at, string[] names)
        {
            if (element.ValueKind != JsonValueKind.Object) throw Malformed(path, $"{at} must be an object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (!names.Contains(property.Name)) throw Malformed(path, $"{at} has unknown property '{Printable(property.Name)}'");
                if (!seen.Add(property.Name)) throw Malformed(path, $"{at} has property '{property.Name}' twice");
            }
            foreach (string name in names)
            {
                if (!seen.Contains(name)) throw Malformed(path, $"{at} is missing property '{name}'");
            }
        }

        private int Int(JsonElement element, string at, long min, long max)
        {
            if (element.ValueKind != JsonValueKind.Number) throw Malformed(path, $"{at} must be a number");
            string raw = element.GetRawText();
            bool canonical = raw.Length is > 0 and <= 10 && raw.All(char.IsAsciiDigit) && (raw == "0" || raw[0] != '0');
            if (!canonical || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Malformed(path, $"{at} must be a non-negative integer without sign, fraction or exponent");
            if (value < min || value > max) throw Malformed(path, $"{at} is {value}, outside {min}..{max}");
            return (int)value;
        }

        private string String(JsonElement element, string at)
        {
            if (element.ValueKind != JsonValueKind.String) throw Malformed(path, $"{at} must be a string");
            return element.GetString()!;
        }

        private string Timestamp(JsonElement element, string at)
        {
            string value = String(element, at);
            if (!DateTime.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _))
                throw Malformed(path, $"{at} must be a UTC time like 2025-01-31T12:00:00Z");
            return value;
        }

        private byte[] Base64(JsonElement element, string at, int minLength, int maxLength)
        {
            string text = String(element, at);
            byte[]? bytes = null;
            try
            {
                bytes = Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
            }
            // Convert accepts whitespace; the re-encoding check keeps the JSON text and the MACed bytes one-to-one.
            if (bytes is null || Convert.ToBase64String(bytes) != text)
                throw Malformed(path, $"{at} is not canonical base64");
            if (bytes.Length < minLength || bytes.Length > maxLength)
                throw Malformed(path, minLength == maxLength
                    ? $"{at} is {bytes.Length} bytes, expected {minLength}"
                    : $"{at} is {bytes.Length} bytes, expected {minLength}..{maxLength}");
            return bytes;
        }

        private static string Printable(string name) =>
            new(name.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
