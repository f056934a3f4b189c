using System.Security.Cryptography;
using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

public class LinkTargetCodecTests
{
    private static LinkTargetCodec NewCodec()
    {
        using var key = SecretKey.Random(32);
        return new LinkTargetCodec(key);
    }

    [Fact]
    public void Target_of_path_max_minus_one_bytes_is_stored_through_a_sidecar()
    {
        using LinkTargetCodec codec = NewCodec();
        byte[] target = Enumerable.Repeat((byte)'d', 4095).ToArray();

        string encoded = codec.Encrypt(target);
        string backingTarget = LinkTargetCodec.BackingTargetFor(encoded);

        Assert.Equal(5498, encoded.Length);
        Assert.True(LinkTargetCodec.NeedsSidecar(encoded));
        Assert.True(LinkTargetCodec.IsIndirectTarget(backingTarget));
        Assert.True(backingTarget.Length < 100);
        Assert.Equal("abc.lnk", LinkTargetCodec.SidecarNameFor("abc"));
        string fromSidecar = LinkTargetCodec.EncodedFromSidecar(backingTarget, LinkTargetCodec.SidecarContentFor(encoded));
        Assert.Equal(target, codec.Decrypt(fromSidecar));
    }

    [Fact]
    public void Targets_up_to_3043_bytes_are_stored_directly_in_the_backing_symlink()
    {
        using LinkTargetCodec codec = NewCodec();
        string direct = codec.Encrypt(new byte[3043].Select(_ => (byte)'x').ToArray());
        string indirect = codec.Encrypt(new byte[3044].Select(_ => (byte)'x').ToArray());

        Assert.Equal(direct, LinkTargetCodec.BackingTargetFor(direct));
        Assert.NotEqual(indirect, LinkTargetCodec.BackingTargetFor(indirect));
    }

    [Fact]
    public void Sidecar_from_another_link_is_rejected()
    {
        using LinkTargetCodec codec = NewCodec();
        string a = codec.Encrypt(Enumerable.Repeat((byte)'a', 4000).ToArray());
        string b = codec.Encrypt(Enumerable.Repeat((byte)'b', 4000).ToArray());

        Assert.Throws<LinkTargetDecryptionException>(() =>
            LinkTargetCodec.EncodedFromSidecar(LinkTargetCodec.BackingTargetFor(a), LinkTargetCodec.SidecarContentFor(b)));
    }

    [Fact]
    public void Same_target_encrypts_differently_each_time_and_tampering_is_detected()
    {
        using LinkTargetCodec codec = NewCodec();
        string first = codec.Encrypt("/etc/passwd"u8);
        string second = codec.Encrypt("/etc/passwd"u8);
        Assert.NotEqual(first, second);

        char[] chars = first.ToCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        Assert.Throws<LinkTargetDecryptionException>(() => codec.Decrypt(new string(chars)));
        Assert.Throws<LinkTargetDecryptionException>(() => codec.Decrypt("short"));
        Assert.Throws<LinkTargetDecryptionException>(() => codec.Decrypt("/plain/target"));
    }

    [Fact]
    public void Empty_and_overlong_targets_are_refused()
    {
        using LinkTargetCodec codec = NewCodec();
        Assert.Throws<ArgumentException>(() => codec.Encrypt(ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentException>(() => codec.Encrypt(RandomNumberGenerator.GetBytes(4096)));
    }
}
