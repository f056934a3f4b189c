using System.Runtime.InteropServices;
using System.Text;

namespace CryptStack.Cli.Output;

/// <summary>
/// stdin, stdout and stderr as plain file streams, never .NET's console streams. On a terminal the
/// first write through a console stream initialises the terminal, and that sends terminfo's
/// keypad_xmit (ESC[?1h ESC=) which nothing ever undoes: the user's shell is left in keypad-transmit
/// mode (arrow keys in less, vi and readline send the wrong codes). A command-line tool that only
/// writes lines has no use for that mode; plain writes to fd 1 and 2 keep the terminal as it was.
/// </summary>
internal static partial class StandardStreams
{
    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlWinSize(int fd, nuint request, out WinSize size);

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows, Columns, XPixels, YPixels;
    }

    private const nuint TIOCGWINSZ = 0x5413;

    /// <summary>Replaces Console.Out and Console.Error (which System.CommandLine, the logger and our commands use) by plain writers.</summary>
    public static void Install()
    {
        Console.SetOut(Writer(1));
        Console.SetError(Writer(2));
    }

    public static bool IsTerminal(int fd) => IsATty(fd) == 1;

    public static bool StdoutIsTerminal => IsTerminal(1);
    public static bool StderrIsTerminal => IsTerminal(2);

    /// <summary>The terminal's width in columns, or <paramref name="fallback"/> when stdout is not a terminal.</summary>
    public static int Columns(int fallback = 80) =>
        IoctlWinSize(1, TIOCGWINSZ, out WinSize size) == 0 && size.Columns > 10 ? size.Columns : fallback;

    public static Stream OpenInput() => Open(0, FileAccess.Read);
    public static Stream OpenOutput() => Open(1, FileAccess.Write);
    public static Stream OpenError() => Open(2, FileAccess.Write);

    private static Stream Open(int fd, FileAccess access) => new DescriptorStream(fd, access);

    private static TextWriter Writer(int fd)
    {
        Stream stream = Open(fd, FileAccess.Write);
        return TextWriter.Synchronized(new StreamWriter(stream, new UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true });
    }
}
