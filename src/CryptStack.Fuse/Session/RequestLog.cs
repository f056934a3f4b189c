using System.Diagnostics;
using System.Globalization;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Session;

/// <summary>
/// `--debug`: one line per request and reply (opcode, node, a short argument summary, errno,
/// time), like gocryptfs -fusedebug. Names and contents stay out unless <see cref="ShowNames"/>.
/// </summary>
public sealed unsafe class RequestLog(Action<string> sink, bool showNames)
{
    public bool ShowNames { get; } = showNames;

    /// <summary>The request's line before its result (taken before serving: the reply may overwrite the request).</summary>
    internal string Describe(FuseInHeader* h, byte* op, byte* payload, int length)
    {
        var opcode = (FuseOpcode)h->Opcode;
        string args = Summary(opcode, op, payload, length);
        return string.Create(CultureInfo.InvariantCulture, $"#{h->Unique} {opcode} node {h->Nodeid}{args} uid {h->Uid} pid {h->Pid}");
    }

    internal void Replied(string request, int rc, long started)
    {
        double us = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        string result = rc == int.MinValue ? "no reply" : rc < 0 ? $"error {Errno.Name(-rc)}" : "ok";
        sink(string.Create(CultureInfo.InvariantCulture, $"{request}: {result} ({us:F0} µs)"));
    }

    private string Summary(FuseOpcode opcode, byte* op, byte* payload, int length)
    {
        string name = ShowNames && length > 0 && IsNamed(opcode)
            ? " \"" + System.Text.Encoding.UTF8.GetString(new ReadOnlySpan<byte>(payload, length).TrimEnd((byte)0)).Replace("\0", "\" \"") + "\""
            : "";
        return opcode switch
        {
            FuseOpcode.Read or FuseOpcode.ReadDir or FuseOpcode.ReadDirPlus =>
                $" fh {((FuseReadIn*)op)->Fh} off {((FuseReadIn*)op)->Offset} size {((FuseReadIn*)op)->Size}",
            FuseOpcode.Write => $" fh {((FuseWriteIn*)op)->Fh} off {((FuseWriteIn*)op)->Offset} size {((FuseWriteIn*)op)->Size} flags 0x{((FuseWriteIn*)op)->WriteFlags:x}",
            FuseOpcode.Open or FuseOpcode.OpenDir => $" flags 0x{((FuseOpenIn*)op)->Flags:x}",
            FuseOpcode.Create => $" flags 0x{((FuseCreateIn*)op)->Flags:x} mode 0{Convert.ToString(((FuseCreateIn*)op)->Mode, 8)}{name}",
            FuseOpcode.SetAttr => $" valid 0x{((FuseSetattrIn*)op)->Valid:x}",
            FuseOpcode.Release or FuseOpcode.ReleaseDir => $" fh {((FuseReleaseIn*)op)->Fh}",
            FuseOpcode.Forget => $" nlookup {((FuseForgetIn*)op)->Nlookup}",
            FuseOpcode.BatchForget => $" count {((FuseBatchForgetIn*)op)->Count}",
            FuseOpcode.Interrupt => $" unique {((FuseInterruptIn*)op)->Unique}",
            FuseOpcode.Init => $" {((FuseInitIn*)op)->Major}.{((FuseInitIn*)op)->Minor}",
            FuseOpcode.GetXAttr or FuseOpcode.ListXAttr => $" size {((FuseGetxattrIn*)op)->Size}{name}",
            _ => name,
        };
    }

    private static bool IsNamed(FuseOpcode op) => op is FuseOpcode.Lookup or FuseOpcode.MkNod or FuseOpcode.MkDir
        or FuseOpcode.Unlink or FuseOpcode.RmDir or FuseOpcode.SymLink or FuseOpcode.Rename or FuseOpcode.Rename2
        or FuseOpcode.Link or FuseOpcode.Create or FuseOpcode.GetXAttr or FuseOpcode.SetXAttr or FuseOpcode.RemoveXAttr;

    /// <summary>A free-form line (INIT negotiation, transport choice).</summary>
    public void Note(string line) => sink(line);
}
