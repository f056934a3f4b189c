using BenchmarkDotNet.Attributes;
using CryptStack.Crypto;
using CryptStack.Crypto.Content;

namespace CryptStack.Bench;

/// <summary>
/// The engine on the path a FUSE request takes: 128 KiB (32 blocks, the kernel's default max_write) written
/// over existing data and read back, on an in-memory store so the numbers are the engine's, not the disk's.
/// Throughput = 131072 bytes / Mean.
/// </summary>
[MemoryDiagnoser]
public class ContentFileBenchmarks
{
    private const int RequestSize = 128 * 1024;
    private const long FileSize = 64L * RequestSize;

    private readonly byte[] _buffer = new byte[RequestSize];
    private SecretKey _headerKey = null!;
    private ContentFile _file = null!;
    private long _offset;

    [GlobalSetup]
    public void Setup()
    {
        _headerKey = SecretKey.Random(32);
        _file = ContentFile.Create(new MemoryStore(), _headerKey);
        new Random(1).NextBytes(_buffer);
        for (long at = 0; at < FileSize; at += RequestSize) _file.Write(_buffer, at);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _file.Dispose();
        _headerKey.Dispose();
    }

    private long NextOffset() => _offset = (_offset + RequestSize) % FileSize;

    [Benchmark]
    public void Write128K() => _file.Write(_buffer, NextOffset());

    [Benchmark]
    public int Read128K() => _file.Read(_buffer, NextOffset());
}
