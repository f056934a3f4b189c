using System.Runtime.InteropServices;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse.Transport.IoUring;

/// <summary>
/// One io_uring with 128-byte SQEs, set up with the raw system calls and mmap (no liburing, no
/// package: about what liburing's queue_init and submit do). Used by a single thread.
/// </summary>
internal sealed unsafe partial class IoUringRing : IDisposable
{
    private const long SysSetup = 425, SysEnter = 426;
    private const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_POPULATE = 0x8000;

    private readonly int _fd;
    private readonly byte* _sqRing, _cqRing;
    private readonly nuint _sqRingSize, _cqRingSize, _sqesSize;
    private readonly byte* _sqes;
    private readonly uint* _sqHead, _sqTail, _sqArray, _cqHead, _cqTail;
    private readonly uint _sqMask, _cqMask, _sqEntries;
    private readonly IoUringCqe* _cqes;
    private uint _sqPending;
    private readonly bool _singleMmap;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MMap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int MUnmap(nint addr, nuint length);

    public IoUringRing(uint entries)
    {
        IoUringParams p = default;
        p.Flags = IoUringConstants.SetupSqe128 | IoUringConstants.SetupCqSize;
        p.CqEntries = entries * 2;
        long fd = Syscall(SysSetup, entries, (long)&p, 0, 0, 0, 0);
        if (fd < 0) throw new IOException("io_uring_setup: " + Marshal.GetPInvokeErrorMessage(LibC.Errno));
        _fd = (int)fd;
        try
        {
            _sqEntries = p.SqEntries;
            _sqRingSize = p.SqOff.Array + p.SqEntries * sizeof(uint);
            _cqRingSize = p.CqOff.Cqes + p.CqEntries * (uint)sizeof(IoUringCqe);
            _singleMmap = (p.Features & IoUringConstants.FeatSingleMmap) != 0;
            if (_singleMmap) _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
            _sqRing = Map(_sqRingSize, IoUringConstants.OffSqRing);
            _cqRing = _singleMmap ? _sqRing : Map(_cqRingSize, IoUringConstants.OffCqRing);
            _sqesSize = p.SqEntries * (nuint)IoUringConstants.SqeSize128;
            _sqes = Map(_sqesSize, IoUringConstants.OffSqes);

            _sqHead = (uint*)(_sqRing + p.SqOff.Head);
            _sqTail = (uint*)(_sqRing + p.SqOff.Tail);
            _sqMask = *(uint*)(_sqRing + p.SqOff.RingMask);
            _sqArray = (uint*)(_sqRing + p.SqOff.Array);
            _cqHead = (uint*)(_cqRing + p.CqOff.Head);
            _cqTail = (uint*)(_cqRing + p.CqOff.Tail);
            _cqMask = *(uint*)(_cqRing + p.CqOff.RingMask);
            _cqes = (IoUringCqe*)(_cqRing + p.CqOff.Cqes);
        }
        catch
        {
            LibC.Close(_fd);
            throw;
        }
    }

    private byte* Map(nuint size, long offset)
    {
        nint m = MMap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, _fd, offset);
        if (m == -1) throw new IOException("io_uring mmap: " + Marshal.GetPInvokeErrorMessage(LibC.Errno));
        return (byte*)m;
    }

    /// <summary>The next free SQE (128 bytes, zeroed); null when the submission queue is full.</summary>
    public IoUringSqe* NextSqe()
    {
        uint tail = *_sqTail + _sqPending;
        if (tail - Volatile.Read(ref *_sqHead) >= _sqEntries) return null;
        uint index = tail & _sqMask;
        var sqe = (IoUringSqe*)(_sqes + index * IoUringConstants.SqeSize128);
        new Span<byte>(sqe, IoUringConstants.SqeSize128).Clear();
        _sqArray[index] = index;
        _sqPending++;
        return sqe;
    }

    /// <summary>Publishes the prepared SQEs and waits for at least <paramref name="waitFor"/> completions; -errno on failure.</summary>
    public int SubmitAndWait(uint waitFor)
    {
        uint submit = _sqPending;
        if (submit > 0)
        {
            Volatile.Write(ref *_sqTail, *_sqTail + submit);
            _sqPending = 0;
        }
        while (true)
        {
            long rc = Syscall(SysEnter, _fd, submit, waitFor, waitFor > 0 ? IoUringConstants.EnterGetEvents : 0, 0, 0);
            if (rc >= 0) return 0;
            int errno = LibC.Errno;
            // Interrupted: the kernel submits what lies between the ring's head and tail, so asking again is safe.
            if (errno != LibC.EINTR) return -errno;
        }
    }

    /// <summary>The oldest unseen completion, or false when there is none.</summary>
    public bool TryPeek(out IoUringCqe cqe)
    {
        uint head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail)) { cqe = default; return false; }
        cqe = _cqes[head & _cqMask];
        return true;
    }

    public void Advance() => Volatile.Write(ref *_cqHead, *_cqHead + 1);

    public void Dispose()
    {
        MUnmap((nint)_sqes, _sqesSize);
        MUnmap((nint)_sqRing, _sqRingSize);
        if (!_singleMmap) MUnmap((nint)_cqRing, _cqRingSize);
        LibC.Close(_fd);
    }
}
