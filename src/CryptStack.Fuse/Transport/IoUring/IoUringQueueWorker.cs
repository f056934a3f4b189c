using System.Runtime.InteropServices;
using CryptStack.Fuse.Interop;
using CryptStack.Fuse.Protocol;
using CryptStack.Fuse.Session;

namespace CryptStack.Fuse.Transport.IoUring;

/// <summary>
/// FUSE over io_uring (Documentation/filesystems/fuse-io-uring.rst): one ring per possible CPU,
/// served by one thread pinned to that CPU. Each ring entry owns a 288-byte
/// fuse_uring_req_header and a max_write payload buffer; REGISTER hands them to the kernel, and
/// every reply goes back with COMMIT_AND_FETCH, which also asks for the next request: one system
/// call per request, no copy through /dev/fuse. INIT, FORGET, INTERRUPT and notifications stay on
/// /dev/fuse. The kernel uses the rings only once every queue has registered.
/// </summary>
internal sealed unsafe partial class IoUringQueueWorker : RequestWorker
{
    private const int ENOTCONN = 107;

    private struct Entry
    {
        public FuseUringReqHeader* Header;
        public byte* Payload;
        public LibC.IoVec* Iov;
        public ulong CommitId;
        public uint LastCommand;
    }

    private readonly int _fuseFd;
    private readonly ushort _qid;
    private readonly Entry* _entries;
    private readonly int _depth;
    private IoUringRing? _ring;
    private int _current;

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    public IoUringQueueWorker(FuseSession session, int fuseFd, int qid, int depth) : base(session)
    {
        _fuseFd = fuseFd;
        _qid = (ushort)qid;
        _depth = depth;
        _entries = (Entry*)NativeMemory.AllocZeroed((nuint)(depth * sizeof(Entry)));
        for (int i = 0; i < depth; i++)
        {
            ref var e = ref _entries[i];
            e.Header = (FuseUringReqHeader*)NativeMemory.AlignedAlloc(4096, 4096);
            new Span<byte>(e.Header, 4096).Clear();
            e.Payload = (byte*)NativeMemory.AlignedAlloc(FuseSession.MaxPayload, 4096);
            e.Iov = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)(2 * sizeof(LibC.IoVec)));
            e.Iov[0] = new LibC.IoVec { Base = e.Header, Length = (nuint)sizeof(FuseUringReqHeader) };
            e.Iov[1] = new LibC.IoVec { Base = e.Payload, Length = FuseSession.MaxPayload };
        }
        PayloadCapacity = FuseSession.MaxPayload;
    }

    /// <summary>The kernel's number of queues: one per possible CPU (num_possible_cpus).</summary>
    public static int PossibleCpus()
    {
        try
        {
            // "0-3" or "0,2-5": the highest number + 1 is what the kernel's qid range covers.
            string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            int max = text.Split(',').Select(r => int.Parse(r.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture)).Max();
            return max + 1;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }

    protected override void Run()
    {
        if (_qid < 64)
        {
            ulong mask = 1UL << _qid;
            SchedSetAffinity(0, sizeof(ulong), &mask); // a hint: requests from CPU n arrive on queue n
        }
        try { _ring = new IoUringRing((uint)_depth); }
        catch (IOException e)
        {
            Session.ReportFailure($"io_uring queue {_qid}", e);
            return;
        }
        for (int i = 0; i < _depth; i++) Queue(i, FuseKernel.IoUringCmdRegister);
        while (true)
        {
            int rc = _ring.SubmitAndWait(1);
            if (rc < 0)
            {
                Session.ReportFailure($"io_uring_enter (queue {_qid})", new IOException(Marshal.GetPInvokeErrorMessage(-rc)));
                return;
            }
            while (_ring.TryPeek(out var cqe))
            {
                _ring.Advance();
                int index = (int)cqe.UserData;
                if (cqe.Res < 0)
                {
                    if (cqe.Res is -LibC.EAGAIN or -LibC.EINTR) { Queue(index, _entries[index].LastCommand); continue; }
                    // ENOTCONN: the connection ended (unmount or abort); anything else ends this queue too.
                    if (cqe.Res != -ENOTCONN && cqe.Res != -LibC.ENODEV)
                        Session.ReportFailure($"io_uring queue {_qid}", new IOException(Marshal.GetPInvokeErrorMessage(-cqe.Res)));
                    return;
                }
                Serve(index);
            }
        }
    }

    private void Serve(int index)
    {
        ref var e = ref _entries[index];
        var header = e.Header;
        e.CommitId = header->RingEntInOut.CommitId;
        _current = index;
        Payload = e.Payload;
        Session.CountRingRequest();
        int length = (int)Math.Min(header->RingEntInOut.PayloadSz, (uint)FuseSession.MaxPayload);
        if (!Dispatch((FuseInHeader*)header->InOut, header->OpIn, e.Payload, length))
            Send(((FuseInHeader*)header->InOut)->Unique, -Errno.ENOSYS, 0); // a ring entry must always be committed
    }

    private void Queue(int index, uint command)
    {
        ref var e = ref _entries[index];
        var sqe = _ring!.NextSqe();
        // Impossible by construction: the ring has one SQE per entry and each entry has at most one command in flight.
        if (sqe == null) throw new InvalidOperationException("io_uring submission queue full");
        e.LastCommand = command;
        sqe->Opcode = IoUringConstants.OpUringCmd;
        sqe->Fd = _fuseFd;
        sqe->CmdOp = command;
        sqe->UserData = (ulong)index;
        if (command == FuseKernel.IoUringCmdRegister)
        {
            sqe->Addr = (ulong)e.Iov;
            sqe->Len = 2;
        }
        var cmd = (FuseUringCmdReq*)((byte*)sqe + IoUringConstants.CmdOffset);
        cmd->Qid = _qid;
        cmd->CommitId = command == FuseKernel.IoUringCmdRegister ? 0 : e.CommitId;
    }

    protected override bool Send(ulong unique, int error, int length)
    {
        var header = _entries[_current].Header;
        var o = (FuseOutHeader*)header->InOut;
        o->Len = (uint)(sizeof(FuseOutHeader) + length);
        o->Error = error;
        o->Unique = unique;
        header->RingEntInOut.PayloadSz = (uint)length;
        Queue(_current, FuseKernel.IoUringCmdCommitAndFetch);
        // Committed with the next io_uring_enter; whether the kernel still wanted it is not known here.
        return true;
    }

    public override void Dispose()
    {
        _ring?.Dispose();
        for (int i = 0; i < _depth; i++)
        {
            NativeMemory.AlignedFree(_entries[i].Header);
            NativeMemory.AlignedFree(_entries[i].Payload);
            NativeMemory.Free(_entries[i].Iov);
        }
        NativeMemory.Free(_entries);
    }
}
