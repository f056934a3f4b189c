using System.Runtime.InteropServices;

namespace CryptStack.Fuse;

/// <summary>struct fuse_file_info (libfuse 3.14, 40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseFileInfo
{
    private const uint DirectIoBit = 1u << 1;
    private const uint KeepCacheBit = 1u << 2;
    private const uint NonSeekableBit = 1u << 4;
    private const uint CacheReaddirBit = 1u << 6;

    /// <summary>open(2) flags.</summary>
    public int Flags;
    private uint _bits;
    private uint _padding2;
    /// <summary>File handle chosen by the filesystem at open/create/opendir.</summary>
    public ulong FileHandle;
    public ulong LockOwner;
    public uint PollEvents;
    private uint _pad;

    public bool DirectIo { readonly get => (_bits & DirectIoBit) != 0; set => Set(DirectIoBit, value); }
    public bool KeepCache { readonly get => (_bits & KeepCacheBit) != 0; set => Set(KeepCacheBit, value); }
    public bool NonSeekable { readonly get => (_bits & NonSeekableBit) != 0; set => Set(NonSeekableBit, value); }
    public bool CacheReaddir { readonly get => (_bits & CacheReaddirBit) != 0; set => Set(CacheReaddirBit, value); }

    private void Set(uint bit, bool on) => _bits = on ? _bits | bit : _bits & ~bit;
}

/// <summary>A fuse_file_info that libfuse may pass as NULL (getattr and setattr without an open file).</summary>
public readonly unsafe ref struct FileInfoRef
{
    private readonly FuseFileInfo* _info;

    internal FileInfoRef(FuseFileInfo* info) => _info = info;

    public bool IsNull => _info == null;

    public ref FuseFileInfo Value
    {
        get
        {
            if (_info == null) throw new InvalidOperationException("no file info for this request");
            return ref *_info;
        }
    }
}
