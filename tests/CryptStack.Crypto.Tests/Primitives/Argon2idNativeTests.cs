using CryptStack.Crypto.Primitives;

namespace CryptStack.Crypto.Tests.Primitives;

/// <summary>libsodium's Argon2id (the keyslot path) gives the bytes of the managed RFC 9106 implementation.</summary>
public sealed class Argon2idNativeTests
{
    [Fact]
    public void Libsodium_loads_here() => Assert.True(Argon2id.NativeAvailable, "NSec/libsodium did not load: every unlock would take the slow managed path");

    [Theory]
    [InlineData(8, 1)]
    [InlineData(64, 1)]
    [InlineData(1024, 3)]
    [InlineData(4096, 2)]
    public void Native_and_managed_derive_the_same_key(int memoryKiB, int iterations)
    {
        byte[] password = "correct horse battery staple"u8.ToArray();
        byte[] salt = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        byte[] native = new byte[32], managed = new byte[32];
        Assert.True(Argon2id.TryDeriveNative(password, salt, memoryKiB, iterations, 1, native));
        Argon2id.DeriveKeyManaged(password, salt, memoryKiB, iterations, 1, managed);
        Assert.Equal(Convert.ToHexString(managed), Convert.ToHexString(native));
    }

    [Fact]
    public void Parameters_libsodium_does_not_take_use_the_managed_implementation()
    {
        byte[] salt = new byte[32];
        Assert.False(Argon2id.TryDeriveNative("pw"u8, salt, 64, 1, 1, new byte[32]));       // 32-byte salt
        Assert.False(Argon2id.TryDeriveNative("pw"u8, salt.AsSpan(0, 16), 64, 1, 4, new byte[32])); // 4 lanes
        byte[] viaPublic = new byte[32], managed = new byte[32];
        Argon2id.DeriveKey("pw"u8, salt, 64, 1, 1, viaPublic);
        Argon2id.DeriveKeyManaged("pw"u8, salt, 64, 1, 1, managed);
        Assert.Equal(managed, viaPublic);
    }
}
