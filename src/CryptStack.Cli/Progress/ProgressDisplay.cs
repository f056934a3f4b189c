using System.Diagnostics;
using System.Globalization;
using CryptStack.Offline;

namespace CryptStack.Cli.Progress;

/// <summary>
/// Shows a <see cref="WorkProgress"/> while a long command runs (decrypt now; fsck and rekey later): on a
/// terminal, one status line redrawn in place (bar, files and bytes done, rate, ETA); when stdout is not a
/// terminal, a plain line every <c>interval</c>; with <c>quiet</c>, nothing. The line is redrawn with a carriage
/// return and "erase to end of line" only: no cursor hiding, no alternate screen, no terminal mode to restore,
/// so a killed process leaves the terminal as it was. Messages (damage reports) go through <see cref="Message"/>,
/// which clears the status line first so the two never share a line.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DefaultLineInterval = TimeSpan.FromSeconds(10);

    private readonly WorkProgress _progress;
    private readonly string _verb;
    private readonly bool _terminal;
    private readonly bool _enabled;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private readonly Timer? _timer;
    private bool _lineShown;
    private bool _finished;

    public ProgressDisplay(WorkProgress progress, string verb, bool quiet, TimeSpan? lineInterval = null)
    {
        _progress = progress;
        _verb = verb;
        _terminal = Output.StandardStreams.StdoutIsTerminal;
        _enabled = !quiet;
        _interval = _terminal ? RedrawInterval : lineInterval ?? DefaultLineInterval;
        if (_enabled) _timer = new Timer(_ => Tick(), null, _interval, _interval);
    }

    /// <summary>A message line on stderr, kept apart from the status line.</summary>
    public void Message(string line)
    {
        lock (_gate)
        {
            ClearLine();
            Console.Error.WriteLine(line);
            if (_enabled && _terminal && !_finished) Draw();
        }
    }

    /// <summary>Stops the display: on a terminal the status line is drawn one last time and ended.</summary>
    public void Finish()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            if (!_enabled) return;
            if (_terminal)
            {
                Draw();
                Console.Out.Write('\n');
                _lineShown = false;
            }
            else Console.Out.WriteLine(Describe(plain: true));
            Console.Out.Flush();
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_finished) return;
            if (_terminal) Draw();
            else
            {
                Console.Out.WriteLine(Describe(plain: true));
                Console.Out.Flush();
            }
        }
    }

    private void Draw()
    {
        string line = Describe(plain: false);
        int width = TerminalWidth() - 1;
        if (line.Length > width) line = line[..width];
        // CR, the line, erase what a longer earlier line left: the cursor stays on this line.
        Console.Out.Write("\r" + line + "\u001b[K");
        Console.Out.Flush();
        _lineShown = true;
    }

    private void ClearLine()
    {
        if (!_lineShown) return;
        Console.Out.Write("\r\u001b[K");
        Console.Out.Flush();
        _lineShown = false;
    }

    private static int TerminalWidth()
    {
        return Output.StandardStreams.Columns();
    }

    /// <summary>"[#####.....]  42%  1234/5000 files  1.2/3.4 GiB  85.0 MiB/s  ETA 0:00:27", or a plain line for logs.</summary>
    internal string Describe(bool plain)
    {
        long files = _progress.Files, bytes = _progress.Bytes;
        long totalFiles = _progress.TotalFiles, totalBytes = _progress.TotalBytes;
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        double rate = bytes / seconds;
        double? fraction = totalBytes > 0 ? (double)bytes / totalBytes
            : totalFiles > 0 ? (double)files / totalFiles : null;
        if (fraction > 1) fraction = 1;
        string filesText = totalFiles >= 0 ? $"{files}/{totalFiles} files" : $"{files} files";
        string bytesText = totalBytes >= 0 ? $"{Bytes(bytes)}/{Bytes(totalBytes)}" : Bytes(bytes);
        string eta = fraction is { } f && f > 0 && f < 1 && rate > 0 && totalBytes > 0
            ? Duration(TimeSpan.FromSeconds((totalBytes - bytes) / rate))
            : "-";
        string percent = fraction is { } p ? ((int)(p * 100)).ToString(CultureInfo.InvariantCulture) + "%" : "";
        if (plain)
            return $"{_verb}: {filesText}, {bytesText}{(percent.Length > 0 ? $" ({percent})" : "")}, {Bytes((long)rate)}/s, ETA {eta}";
        const int barWidth = 20;
        int filled = fraction is { } q ? (int)(q * barWidth) : 0;
        string bar = "[" + new string('#', filled) + new string('.', barWidth - filled) + "]";
        return $"{bar} {percent,4}  {filesText}  {bytesText}  {Bytes((long)rate)}/s  ETA {eta}";
    }

    internal static string Bytes(long count)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = count;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{count} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 100 ? ">99h" : $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}";

    public void Dispose() => Finish();
}
