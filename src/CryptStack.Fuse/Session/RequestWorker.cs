using System.Runtime.CompilerServices;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

/// <summary>
/// Serves requests on one thread for the whole life of the session. The transport (a cloned
/// /dev/fuse descriptor or an io_uring queue) hands each request in as its header, its per-op
/// struct and its payload, and sends the one reply built in <see cref="Payload"/>. Buffers belong
/// to the worker and are freed with it (libfuse's per-thread buffers leaked: issue #15).
/// </summary>
internal abstract unsafe partial class RequestWorker : IDisposable
{
    /// <summary>Handlers return this when the request takes no reply (FORGET, BATCH_FORGET, INTERRUPT).</summary>
    protected const int NoReply = int.MinValue;

    protected readonly FuseSession Session;
    protected readonly IFuseLowLevelFileSystem Fs;
    /// <summary>Where the reply's payload is built; a transport points it at its reply buffer.</summary>
    protected byte* Payload;
    protected int PayloadCapacity;
    private FuseInHeader* _header;
    /// <summary>The unique id of the request being served, for INTERRUPT (0 when idle).</summary>
    internal ulong CurrentUnique;
    internal volatile bool CurrentInterrupted;
    private Thread? _thread;

    protected RequestWorker(FuseSession session)
    {
        Session = session;
        Fs = session.FileSystem;
    }

    /// <summary>Sends the reply of the request with <paramref name="unique"/>: <paramref name="error"/> is 0 or -errno, the payload is the first <paramref name="length"/> bytes at <see cref="Payload"/>. False when the kernel no longer wants it (interrupted or aborted).</summary>
    protected abstract bool Send(ulong unique, int error, int length);

    /// <summary>The transport's loop: returns when the connection ends.</summary>
    protected abstract void Run();

    public void Start(string name)
    {
        _thread = new Thread(() =>
        {
            try { Run(); }
            catch (Exception e) { Session.ReportFailure("worker", e); }
            finally { Session.WorkerEnded(); }
        }) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public bool Join(TimeSpan timeout) => _thread == null || _thread.Join(timeout);

    public abstract void Dispose();

    /// <summary>Size of the per-op struct that precedes the payload on /dev/fuse (fuse.h, protocol 7.45 as negotiated).</summary>
    protected static int OpHeaderSize(FuseOpcode op) => op switch
    {
        FuseOpcode.Forget => sizeof(FuseForgetIn),
        FuseOpcode.GetAttr => sizeof(FuseGetattrIn),
        FuseOpcode.SetAttr => sizeof(FuseSetattrIn),
        FuseOpcode.MkNod => sizeof(FuseMknodIn),
        FuseOpcode.MkDir => sizeof(FuseMkdirIn),
        FuseOpcode.Rename => sizeof(FuseRenameIn),
        FuseOpcode.Rename2 => sizeof(FuseRename2In),
        FuseOpcode.Link => sizeof(FuseLinkIn),
        FuseOpcode.Open or FuseOpcode.OpenDir => sizeof(FuseOpenIn),
        FuseOpcode.Create => sizeof(FuseCreateIn),
        FuseOpcode.Read or FuseOpcode.ReadDir or FuseOpcode.ReadDirPlus => sizeof(FuseReadIn),
        FuseOpcode.Write => sizeof(FuseWriteIn),
        FuseOpcode.Release or FuseOpcode.ReleaseDir => sizeof(FuseReleaseIn),
        FuseOpcode.Flush => sizeof(FuseFlushIn),
        FuseOpcode.FSync or FuseOpcode.FSyncDir => sizeof(FuseFsyncIn),
        // Without FUSE_SETXATTR_EXT (not negotiated) the kernel sends the 8-byte compat struct.
        FuseOpcode.SetXAttr => 8,
        FuseOpcode.GetXAttr or FuseOpcode.ListXAttr => sizeof(FuseGetxattrIn),
        FuseOpcode.Init => sizeof(FuseInitIn),
        FuseOpcode.Interrupt => sizeof(FuseInterruptIn),
        FuseOpcode.BatchForget => sizeof(FuseBatchForgetIn),
        FuseOpcode.FAllocate => sizeof(FuseFallocateIn),
        FuseOpcode.LSeek => sizeof(FuseLseekIn),
        FuseOpcode.Access => sizeof(FuseAccessIn),
        _ => 0,
    };

    /// <summary>Serves one request: runs the filesystem method and sends exactly one reply (none for forgets). False when no reply was sent.</summary>
    protected bool Dispatch(FuseInHeader* h, byte* op, byte* payload, int payloadLength)
    {
        _header = h;
        CurrentInterrupted = false;
        Volatile.Write(ref CurrentUnique, h->Unique);
        var opcode = (FuseOpcode)h->Opcode;
        var debug = Session.Debug;
        // Before serving: on io_uring the reply is built where the request's names were.
        string? summary = debug?.Describe(h, op, payload, payloadLength);
        long started = debug != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        FuseRequest.Begin(h->Uid, h->Gid, h->Pid);
        int rc;
        try
        {
            rc = Handle(opcode, h, op, payload, payloadLength);
        }
        catch (Exception e)
        {
            Session.ReportFailure(opcode.ToString().ToLowerInvariant(), e);
            rc = opcode is FuseOpcode.Forget or FuseOpcode.BatchForget or FuseOpcode.Interrupt ? NoReply : -Errno.EIO;
        }
        finally
        {
            FuseRequest.End();
            Volatile.Write(ref CurrentUnique, 0);
        }
        if (rc < 0 && rc != NoReply) Send(h->Unique, rc, 0);
        if (opcode == FuseOpcode.Init) Session.InitReplied();
        if (debug != null) debug.Replied(summary!, rc, started);
        return rc != NoReply;
    }

    /// <summary>A NUL-terminated string of the payload, from <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static ReadOnlySpan<byte> Name(byte* at, byte* end)
    {
        var rest = new ReadOnlySpan<byte>(at, (int)(end - at));
        int nul = rest.IndexOf((byte)0);
        return nul < 0 ? rest : rest[..nul];
    }

    /// <summary>Sends a successful reply of <paramref name="length"/> payload bytes; 0 when sent, so handlers can return it.</summary>
    protected int Reply(int length)
    {
        Send(_header->Unique, 0, length);
        return 0;
    }

    protected bool TryReply(int length) => Send(_header->Unique, 0, length);

    protected int ReplyStruct<T>(in T value) where T : unmanaged
    {
        *(T*)Payload = value;
        return Reply(sizeof(T));
    }
}
