using System.Runtime.InteropServices;

namespace CryptStack.Cli.Secrets;

/// <summary>
/// Reading a line from stdin without echo when stdin is a terminal (termios ECHO off, as getpass(3)
/// does), and a plain line otherwise. Bytes are read one at a time so nothing after the line is
/// consumed: a script may send the unlock passphrase and the new one as two lines.
/// </summary>
internal static partial class Terminal
{
    private const int StdIn = 0;
    private const int TCSANOW = 0;
    // termios on Linux: c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line, c_cc[32], speeds;
    // 60 bytes on every architecture .NET supports. A larger buffer keeps us safe from padding.
    private const int TermiosSize = 128;
    private const int LFlagOffset = 12;
    private const uint ECHO = 0x8, ECHONL = 0x40;

    private static readonly Lock Gate = new();
    private static byte[]? _saved;

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, Span<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, Span<byte> termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int actions, ReadOnlySpan<byte> termios);

    public static bool StdinIsTerminal => IsATty(StdIn) == 1;

    /// <summary>Shows <paramref name="prompt"/> on stderr and reads a line from the terminal with echo off.</summary>
    public static void ReadHidden(string prompt, SecretBuffer into)
    {
        Console.Error.Write(prompt);
        Console.Error.Flush();
        byte[] original = new byte[TermiosSize];
        bool echoOff = TcGetAttr(StdIn, original) == 0;
        // Ctrl-C or kill while the prompt waits must not leave the user's terminal without echo.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Restore());
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Restore());
        if (echoOff)
        {
            byte[] quiet = (byte[])original.Clone();
            uint lflag = BitConverter.ToUInt32(quiet, LFlagOffset);
            lflag = (lflag & ~ECHO) | ECHONL;
            BitConverter.TryWriteBytes(quiet.AsSpan(LFlagOffset), lflag);
            lock (Gate) _saved = original;
            echoOff = TcSetAttr(StdIn, TCSANOW, quiet) == 0;
        }
        try
        {
            ReadLine(into);
        }
        finally
        {
            if (echoOff) Restore();
            else Console.Error.WriteLine();
        }
    }

    /// <summary>Reads bytes from stdin up to "\n" (not stored; a trailing "\r" is dropped too). False at EOF before any byte.</summary>
    public static bool ReadLine(SecretBuffer into)
    {
        // read(2) itself, not Console.OpenStandardInput: on a terminal .NET's console stream does its
        // own line editing and echo, which would show the passphrase.
        Span<byte> one = stackalloc byte[1];
        bool any = false;
        while (ReadByte(one))
        {
            any = true;
            if (one[0] == (byte)'\n') break;
            into.Append(one[0]);
        }
        one.Clear();
        if (into.Length > 0 && into.Span[^1] == (byte)'\r') into.Truncate(into.Length - 1);
        return any;
    }

    private static bool ReadByte(Span<byte> one)
    {
        while (true)
        {
            nint n = Read(StdIn, one, 1);
            if (n == 1) return true;
            if (n == 0) return false;
            if (Marshal.GetLastPInvokeError() != 4 /* EINTR */)
                throw new CliException(ExitCodes.SecretUnavailable, $"cannot read from stdin: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    private static void Restore()
    {
        lock (Gate)
        {
            if (_saved == null) return;
            TcSetAttr(StdIn, TCSANOW, _saved);
            _saved = null;
        }
    }
}
