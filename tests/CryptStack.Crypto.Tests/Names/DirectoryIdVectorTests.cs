using System.Text;
using CryptStack.Crypto.Keys;
using CryptStack.Crypto.Names;

namespace CryptStack.Crypto.Tests.Names;

/// <summary>
/// Format version 2's bound cs.dirid (docs/format.md 5.1 and 11): vectors computed with Python's hmac, hashlib and
/// cryptography (HKDF), independently of this code; and what the binding detects.
/// </summary>
public class DirectoryIdVectorTests
{
    private static readonly byte[] MasterKey = Enumerable.Range(0x00, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] VolumeId = Enumerable.Range(0xf0, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] RootId = Enumerable.Range(0x20, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] ChildId = Enumerable.Range(0x30, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] ChildName = Encoding.ASCII.GetBytes("_fvzut3vLSP7ToU9-knytrjcffcDLKJRmg");

    private static DirectoryIdCodec Codec()
    {
        using var keys = new KeyHierarchy(MasterKey, VolumeId);
        return DirectoryIdCodec.FromKeys(keys);
    }

    [Fact]
    public void Dirid_mac_subkey_vector()
    {
        using var keys = new KeyHierarchy(MasterKey, VolumeId);
        using SecretKey key = keys.DeriveDirectoryIdMacKey();
        Assert.Equal("dd56d028be96fb02c21cf3f82410f231bdccca025a6c7185df8268359194fbb8", Convert.ToHexStringLower(key.Span));
    }

    [Fact]
    public void Root_and_child_dirid_vectors()
    {
        using var codec = Codec();
        Assert.Equal("202122232425262728292a2b2c2d2e2f" + "80d5df6857dcf3dc6ce6c50aa21a2ed58e5a53cc797557b33bdd3b024904865c",
            Convert.ToHexStringLower(codec.Seal(RootId, default, default)));
        Assert.Equal("303132333435363738393a3b3c3d3e3f" + "93e364bda1c9578da079ad086108000e720202bcd08426c30c8dd6b533bc4987",
            Convert.ToHexStringLower(codec.Seal(ChildId, RootId, ChildName)));
    }

    [Fact]
    public void A_dirid_opens_only_at_its_own_place()
    {
        using var codec = Codec();
        byte[] sealedChild = codec.Seal(ChildId, RootId, ChildName);
        Assert.Equal(ChildId, codec.Open(sealedChild, RootId, ChildName, "d"));
        // Copied into another directory, or into the root, or a directory of another name, or tampered with.
        Assert.Throws<DirectoryIdException>(() => codec.Open(sealedChild, ChildId, ChildName, "d"));
        Assert.Throws<DirectoryIdException>(() => codec.Open(sealedChild, default, default, "d"));
        Assert.Throws<DirectoryIdException>(() => codec.Open(sealedChild, RootId, Encoding.ASCII.GetBytes("other"), "d"));
        byte[] flipped = (byte[])sealedChild.Clone();
        flipped[3] ^= 1;
        Assert.Throws<DirectoryIdException>(() => codec.Open(flipped, RootId, ChildName, "d"));
        Assert.Throws<DirectoryIdException>(() => codec.Open(sealedChild[..16], RootId, ChildName, "d"));
    }
}
