using System.Text;
using BenchmarkDotNet.Attributes;
using CryptStack.Encryption;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Volume;
using Microsoft.Extensions.Logging.Abstractions;

namespace CryptStack.Bench;

/// <summary>
/// The read and write path a FUSE request takes below the binding, on a real backing file in the
/// page cache: InodeStackFileSystem.Read/Write through the mirror's identity transforms and through the
/// encryption layer (reader/writer locks, OFD lock, content engine). The Allocated column is the
/// check of "no allocation per read or write request".
/// </summary>
[MemoryDiagnoser]
public class StackHotPathBenchmarks
{
    private const int RequestSize = 128 * 1024;
    private const long FileSize = 64L * RequestSize;
    private const ulong Root = 1;
    private static readonly byte[] FileName = "bench.bin"u8.ToArray();

    private readonly byte[] _buffer = new byte[RequestSize];
    private string _backing = null!;
    private UnlockedVolume? _volume;
    private EncryptionLayer? _layer;
    private InodeStackFileSystem _fs = null!;
    private ulong _node;
    private FuseFileInfo _fi;
    private long _offset;

    [Params("mirror", "encrypted")]
    public string Mount { get; set; } = "mirror";

    [GlobalSetup]
    public void Setup()
    {
        _backing = Directory.CreateTempSubdirectory("cryptstack-bench-").FullName;
        var transforms = StackTransforms.Identity;
        if (Mount == "encrypted")
        {
            var cheap = new KdfOptions { Argon2MemoryKiB = 1024, Argon2Iterations = 1 };
            _volume = CryptVolume.Create(_backing, VolumeSecret.Passphrase(Encoding.UTF8.GetBytes("bench")), cheap).Volume;
            _layer = new EncryptionLayer(_volume, NullLoggerFactory.Instance, new EncryptionOptions());
            transforms = _layer.Transforms;
        }
        _fs = new InodeStackFileSystem(_backing, transforms, NullLogger.Instance);
        _fi = new FuseFileInfo { Flags = 2 /* O_RDWR */ };
        int rc = _fs.Create(Root, FileName, 0x1a4, ref _fi, out var entry);
        _node = entry.Ino;
        if (rc < 0) throw new InvalidOperationException($"create failed: {rc}");
        new Random(1).NextBytes(_buffer);
        for (long at = 0; at < FileSize; at += RequestSize) _fs.Write(_node, _buffer, at, ref _fi);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fs.Release(_node, ref _fi);
        _fs.Dispose();
        _layer?.Dispose();
        _volume?.Dispose();
        Directory.Delete(_backing, recursive: true);
    }

    private long NextOffset() => _offset = (_offset + RequestSize) % FileSize;

    [Benchmark]
    public int Read128K() => _fs.Read(_node, _buffer, NextOffset(), ref _fi);

    [Benchmark]
    public int Write128K() => _fs.Write(_node, _buffer, NextOffset(), ref _fi);
}
